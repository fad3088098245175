/**
 * Partition values and data-file paths. Two independent escapes apply (PROTOCOL.md, Spark):
 * the value is Hive-escaped to name the directory (`a:b` → `a%3Ab`), then the relative path is
 * URI-encoded for `add.path` (`%` → `%25`). Readers decode the log path once to get the object key.
 */
import pl from "nodejs-polars";
import { firstValue, isoMicros } from "./stats.ts";
import { type DeltaFieldType, polarsTypeOf } from "./table-schema.ts";

export const HIVE_NULL = "__HIVE_DEFAULT_PARTITION__";

/** Characters Spark's `escapePathName` escapes in partition directory names. */
function needsHiveEscape(code: number): boolean {
  return code < 0x20 || code === 0x7f || "\"#%'*/:=?\\{[]^".includes(String.fromCharCode(code));
}

export function hiveEscape(value: string): string {
  let out = "";
  for (const char of value) {
    const code = char.charCodeAt(0);
    out +=
      char.length === 1 && needsHiveEscape(code)
        ? `%${code.toString(16).toUpperCase().padStart(2, "0")}`
        : char;
  }
  return out;
}

/** RFC 3986 encoding that keeps '/' (the path separator) and '=' (Hive's key=value) readable. */
export function encodeLogPath(path: string): string {
  return path
    .split("/")
    .map((segment) =>
      encodeURIComponent(segment)
        .replace(/%3D/g, "=")
        .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join("/");
}

/**
 * `add.path` is an RFC 2396 URI reference: decode it exactly once to get the key relative to the
 * table root. Hive escapes in directory names (`%3A`) are part of the real name and stay as they are.
 */
export function decodeLogPath(path: string): string {
  // Most paths have no escapes; decodeURIComponent costs ~0.5 µs even then, per file per load.
  if (!path.includes("%")) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    // A lone '%' not followed by hex digits: old writers logged raw paths; take it literally.
    return path;
  }
}

/** The directory of one partition, e.g. `year=2024/region=North%3AEast/`; empty when unpartitioned. */
export function partitionDirectory(
  partitionColumns: readonly string[],
  values: Readonly<Record<string, string | null>>,
): string {
  return partitionColumns
    .map((column) => {
      const value = values[column];
      return `${hiveEscape(column)}=${value === null || value === undefined ? HIVE_NULL : hiveEscape(value)}/`;
    })
    .join("");
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Serialise one partition value as the protocol's string form (null and "" both mean null). */
export function serialisePartitionValue(value: unknown, type: DeltaFieldType): string | null {
  if (value === null || value === undefined) return null;
  if (type === "date" && value instanceof Date) return isoDate(value);
  if (type === "timestamp" && value instanceof Date) return isoMicros(value.getTime() * 1000);
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "boolean")
    return String(value);
  if (typeof value === "string") return value === "" ? null : value;
  return String(value);
}

/**
 * The serialised partition values of a frame holding a single partition. Temporal columns are
 * read as integers so microseconds survive (JS Dates hold milliseconds only).
 */
export function partitionValuesOf(
  frame: pl.DataFrame,
  partitionColumns: readonly string[],
  types: ReadonlyMap<string, DeltaFieldType>,
): Record<string, string | null> {
  const values: Record<string, string | null> = {};
  for (const column of partitionColumns) {
    const type = types.get(column) ?? "string";
    if (type === "timestamp") {
      const micros: unknown = firstValue(frame.select(pl.col(column).cast(pl.Int64)).getColumn(column));
      values[column] = typeof micros === "number" ? isoMicros(micros) : null;
      continue;
    }
    values[column] = serialisePartitionValue(firstValue(frame.getColumn(column)), type);
  }
  return values;
}

/** A typed literal for a partition value read from the log (to materialise the column). */
export function partitionLiteral(value: string | null | undefined, type: DeltaFieldType): pl.Expr {
  const dtype = polarsTypeOf(type);
  if (value === null || value === undefined || value === "") return pl.lit(null).cast(dtype);
  if (type === "timestamp") {
    // Accept the ISO form we write and the "yyyy-MM-dd HH:mm:ss[.ffffff]" form delta-rs and Spark write (UTC).
    const iso = value.includes("T") ? value : `${value.replace(" ", "T")}Z`;
    const millis = Date.parse(iso);
    const fraction = /\.(\d{4,6})/.exec(value)?.[1] ?? "";
    const extraMicros = fraction.length > 3 ? Number(fraction.slice(3).padEnd(3, "0")) : 0;
    // Through a string: pl.lit truncates large JS numbers.
    return pl
      .lit(String(millis * 1000 + extraMicros))
      .cast(pl.Int64)
      .cast(dtype);
  }
  if (type === "boolean") return pl.lit(value === "true").cast(dtype);
  return pl.lit(value).cast(dtype);
}
