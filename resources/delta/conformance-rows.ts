/**
 * Canonical row strings for comparing a read frame with the conformance corpus' expected rows
 * (shared/delta-conformance/expected_results.json). The expected rows were produced by a Python
 * replay: timestamps as "YYYY-MM-DD HH:MM:SS[.ffffff]" (or the raw partition string), decimals as
 * strings, binary as hex, floats as Python floats. Both sides are mapped to one form: timestamps
 * to UTC microsecond strings, decimals and numbers to 6 significant digits (float32 columns),
 * keys sorted. Test support only.
 */
import pl from "nodejs-polars";
import { isRecord } from "./log-actions.ts";
import { parseTimestampMicros } from "./partition-read.ts";
import { type DeltaSchema, type DeltaType, decimalParts } from "./schema.ts";

function microsText(micros: bigint): string {
  const millis = micros / 1000n;
  const rest = ((micros % 1000n) + 1000n) % 1000n;
  const iso = new Date(Number(millis - (rest > 0n && micros < 0n ? 1n : 0n))).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(rest).padStart(3, "0")}`;
}

function canonicalNumber(value: number): number {
  return Number.isInteger(value) ? value : Number(value.toPrecision(6));
}

function canonical(value: unknown): unknown {
  if (typeof value === "bigint") return canonicalNumber(Number(value));
  if (typeof value === "number") return canonicalNumber(value);
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Date) return microsText(BigInt(value.getTime()) * 1000n);
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical(value[key])]),
    );
  }
  return value;
}

function canonicalTyped(value: unknown, type: DeltaType): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type !== "string") {
    if (type.type === "array")
      return Array.isArray(value) ? value.map((v) => canonicalTyped(v, type.elementType)) : value;
    if (type.type === "map") {
      // polars reads a map as a list of {key, value}; the Python replay as an object.
      const entries = Array.isArray(value)
        ? value.map((entry) => (isRecord(entry) ? [String(entry.key), entry.value] : [String(entry), null]))
        : isRecord(value)
          ? Object.entries(value)
          : [];
      return Object.fromEntries(entries.map(([key, v]) => [key, canonicalTyped(v, type.valueType)]));
    }
    if (!isRecord(value)) return value;
    return Object.fromEntries(
      type.fields.map((field) => [field.name, canonicalTyped(value[field.name], field.type)]),
    );
  }
  if (type === "timestamp" || type === "timestamp_ntz") {
    if (typeof value === "string") {
      const micros = parseTimestampMicros(value);
      return micros === undefined ? value : microsText(micros);
    }
    if (typeof value === "number" || typeof value === "bigint") return microsText(BigInt(value));
  }
  if (decimalParts(type) !== undefined && (typeof value === "string" || typeof value === "number")) {
    return canonicalNumber(Number(value));
  }
  return canonical(value);
}

function rowString(row: Record<string, unknown>, schema: DeltaSchema): string {
  const out: Record<string, unknown> = {};
  for (const field of schema.fields) out[field.name] = canonicalTyped(row[field.name], field.type);
  return JSON.stringify(canonical(out));
}

/** Canonical, sorted row strings of a frame read from a table with this schema. */
export function frameRows(frame: pl.DataFrame, schema: DeltaSchema): string[] {
  const exprs = schema.fields.map((field) => {
    if (field.type === "timestamp" || field.type === "timestamp_ntz")
      return pl.col(field.name).cast(pl.Int64);
    if (field.type === "date" || decimalParts(field.type) !== undefined)
      return pl.col(field.name).cast(pl.Utf8);
    return pl.col(field.name);
  });
  const records: Record<string, unknown>[] = frame.select(...exprs).toRecords();
  return records.map((row) => rowString(row, schema)).sort();
}

/** Canonical, sorted row strings of the expected JSON rows. */
export function expectedRows(rows: readonly string[], schema: DeltaSchema): string[] {
  return rows
    .map((text) => {
      const parsed: unknown = JSON.parse(text);
      return rowString(isRecord(parsed) ? parsed : {}, schema);
    })
    .sort();
}
