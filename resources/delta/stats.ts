/**
 * Per-file statistics for `add.stats` (PROTOCOL.md "Per-file Statistics"), computed from the frame
 * we are about to write rather than from the Parquet footer, so the encodings are ours to control:
 * numbers as JSON numbers, dates as yyyy-mm-dd, timestamps as ISO-8601 UTC with microseconds.
 */
import pl from "nodejs-polars";
import type { FileStats } from "./actions.ts";
import { frameDtypes } from "./frame-dtypes.ts";

/** Spark's `stringPrefixLength`: longer strings are cut so stats stay small. */
const STRING_PREFIX = 32;
/** Spark's default `delta.dataSkippingNumIndexedCols`. */
const DEFAULT_INDEXED_COLUMNS = 32;

type StatKind = "number" | "float" | "string" | "date" | "timestamp" | "nullOnly";

function statKind(dtype: pl.DataType): StatKind {
  switch (dtype.variant) {
    case "Int8":
    case "Int16":
    case "Int32":
    case "Int64":
    case "UInt8":
    case "UInt16":
    case "UInt32":
    case "UInt64":
      return "number";
    case "Float32":
    case "Float64":
      return "float";
    case "String":
    case "Utf8":
      return "string";
    case "Date":
      return "date";
    case "Datetime":
      return "timestamp";
    default:
      // Booleans, binary, decimals and nested types: only nullCount, as Spark does (decimals are
      // left out because polars hands them back as floats, which could round a bound the wrong way).
      return "nullOnly";
  }
}

/** Which columns get stats: `delta.dataSkippingStatsColumns` if set, else the first N columns. */
export function statsColumns(
  columns: readonly string[],
  configuration: Readonly<Record<string, string>>,
): string[] {
  const listed = configuration["delta.dataSkippingStatsColumns"];
  if (listed !== undefined && listed.trim() !== "") {
    const wanted = new Set(listed.split(",").map((name) => name.trim().replace(/^`|`$/g, "")));
    return columns.filter((name) => wanted.has(name));
  }
  const configured = Number(configuration["delta.dataSkippingNumIndexedCols"] ?? DEFAULT_INDEXED_COLUMNS);
  const count = Number.isInteger(configured) && configured >= 0 ? configured : DEFAULT_INDEXED_COLUMNS;
  return columns.slice(0, count);
}

function isoDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** Microseconds since the epoch → `2024-01-02T03:04:05.123456Z`. */
export function isoMicros(micros: number): string {
  const millis = Math.floor(micros / 1000);
  const fraction = String(micros - millis * 1000).padStart(3, "0");
  return `${new Date(millis).toISOString().slice(0, -1)}${fraction}Z`;
}

function codePoints(value: string): string[] {
  return Array.from(value);
}

function finiteNumber(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (
    typeof value === "bigint" &&
    value <= BigInt(Number.MAX_SAFE_INTEGER) &&
    value >= -BigInt(Number.MAX_SAFE_INTEGER)
  )
    return Number(value);
  return undefined;
}

/**
 * Stats of one data file. `frame` holds the file's columns (partition columns already removed, as
 * stats never describe them), with timestamps in microseconds. Uses the frame's native min/max/
 * nullCount (one call each): nodejs-polars spends ~2 ms building each expression, so per-column
 * expressions would cost more than writing the file.
 */
export function computeStats(frame: pl.DataFrame, columns: readonly string[]): FileStats {
  const minValues: Record<string, unknown> = {};
  const maxValues: Record<string, unknown> = {};
  const nullCount: Record<string, unknown> = {};
  const numRecords = frame.height;
  if (columns.length === 0 || numRecords === 0) return { numRecords, minValues, maxValues, nullCount };
  const dtypes = frameDtypes(frame);
  const kinds = new Map(
    columns.map(
      (name) => [name, dtypes.has(name) ? statKind(dtypes.get(name) ?? pl.Null) : "nullOnly"] as const,
    ),
  );
  const withBounds = columns.filter((name) => kinds.get(name) !== "nullOnly");
  // Temporal values aggregate as integers so no precision is lost through JS Date objects.
  const casts = withBounds.flatMap((name) => {
    const kind = kinds.get(name);
    if (kind === "date") return [pl.col(name).cast(pl.Int32)];
    if (kind === "timestamp") return [pl.col(name).cast(pl.Int64)];
    return [];
  });
  const bounded =
    casts.length > 0 ? frame.select(...withBounds).withColumns(...casts) : frame.select(...withBounds);
  const low = withBounds.length > 0 ? (bounded.min().toRecords()[0] ?? {}) : {};
  const high = withBounds.length > 0 ? (bounded.max().toRecords()[0] ?? {}) : {};
  const nulls =
    frame
      .select(...columns)
      .nullCount()
      .toRecords()[0] ?? {};
  // NaN/Infinity in a file make min/max unusable for skipping (and break some readers): omit them.
  const floats = withBounds.filter((name) => kinds.get(name) === "float");
  const unusable = new Set<string>();
  if (floats.length > 0) {
    // One whole-frame sum instead of per-column expressions (each costs milliseconds in
    // nodejs-polars): a NaN or an infinity makes the sum non-finite. So can an overflow of huge
    // finite values, which only drops stats that were usable: safe for skipping.
    const sums =
      frame
        .select(...floats)
        .sum()
        .toRecords()[0] ?? {};
    for (const name of floats)
      if (finiteNumber(sums[name]) === undefined && sums[name] !== null) unusable.add(name);
  }
  for (const name of columns) {
    nullCount[name] = finiteNumber(nulls[name]) ?? 0;
    const kind = kinds.get(name);
    if (kind === undefined || kind === "nullOnly" || unusable.has(name)) continue;
    const lo = low[name];
    const hi = high[name];
    if (lo === null || hi === null || lo === undefined || hi === undefined) continue;
    if (kind === "string") {
      if (typeof lo !== "string" || typeof hi !== "string") continue;
      minValues[name] = codePoints(lo).slice(0, STRING_PREFIX).join("");
      // A truncated max would be smaller than the true max; keep it only when it is exact.
      if (codePoints(hi).length <= STRING_PREFIX) maxValues[name] = hi;
      continue;
    }
    const lowNumber = finiteNumber(lo);
    const highNumber = finiteNumber(hi);
    if (lowNumber === undefined || highNumber === undefined) continue;
    if (kind === "date") {
      minValues[name] = isoDate(lowNumber);
      maxValues[name] = isoDate(highNumber);
    } else if (kind === "timestamp") {
      minValues[name] = isoMicros(lowNumber);
      maxValues[name] = isoMicros(highNumber);
    } else {
      minValues[name] = lowNumber;
      maxValues[name] = highNumber;
    }
  }
  return { numRecords, minValues, maxValues, nullCount };
}

/** Parse `add.stats`; undefined when absent or not an object (stats are optional in the protocol). */
export function parseStats(stats: string | null | undefined): FileStats | undefined {
  if (stats === null || stats === undefined || stats === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(stats);
    if (typeof parsed !== "object" || parsed === null || !("numRecords" in parsed)) return undefined;
    const numRecords = parsed.numRecords;
    if (typeof numRecords !== "number") return undefined;
    const record = (key: string): Record<string, unknown> | undefined => {
      const value: unknown = key in parsed ? Reflect.get(parsed, key) : undefined;
      return typeof value === "object" && value !== null
        ? Object.fromEntries(Object.entries(value))
        : undefined;
    };
    return {
      numRecords,
      minValues: record("minValues"),
      maxValues: record("maxValues"),
      nullCount: record("nullCount"),
    };
  } catch {
    return undefined;
  }
}

/**
 * The first value of a column. `Series.get` truncates Int64 values to 32 bits in nodejs-polars
 * 0.25.2 (1700000000123456 comes back as 404759104); `toArray` does not.
 */
export function firstValue(series: pl.Series): unknown {
  return series.slice(0, 1).toArray()[0];
}
