/**
 * Partition values as the reader materialises them (PROTOCOL.md "Partition Value Serialization"):
 * `partitionValues` strings from the log, parsed by the column's schema type into typed polars
 * literals. Values come only from the log, never from directory names. JSON null and "" both
 * mean NULL. A value that does not parse as its type is a corrupt log, quoted in the error.
 */
import pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import { type DeltaType, decimalParts, polarsTypeFor } from "./schema.ts";

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const FLOAT = /^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|NaN|[+-]?Infinity)$/;
const DATE = /^(\d{4,})-(\d{1,2})-(\d{1,2})$/;
/**
 * `2020-01-01 08:09:10.001` (Spark's zone-less form, read as UTC like Delta Kernel does) and
 * ISO-8601 `2024-01-01T10:00:00.000000Z` / `…+01:00` (the form the protocol recommends).
 */
const TIMESTAMP =
  /^(\d{4,})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** 2^(bits-1): the exclusive upper / inclusive lower magnitude of each signed integer type. */
const INTEGER_BOUNDS: Readonly<Record<string, bigint>> = {
  byte: 1n << 7n,
  short: 1n << 15n,
  integer: 1n << 31n,
  long: 1n << 63n,
};

function invalid(column: string, type: DeltaType, value: string): StrataError {
  return new StrataError(
    "STRATA_ERR_DELTA_CORRUPT_LOG",
    `partition value ${quote(value)} of column ${quote(column)} is not a valid ${quote(typeof type === "string" ? type : type.type)}.`,
    { column, value },
  );
}

function daysSinceEpoch(match: RegExpExecArray): number {
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / 86_400_000;
}

/** Microseconds since the epoch (UTC) of a partition timestamp string, or undefined if malformed. */
export function parseTimestampMicros(value: string): bigint | undefined {
  const match = TIMESTAMP.exec(value.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const millis = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second ?? 0),
  );
  if (!Number.isFinite(millis)) return undefined;
  let offsetMinutes = 0;
  if (zone !== undefined && zone.toUpperCase() !== "Z") {
    const digits = zone.replace(":", "");
    const sign = digits.startsWith("-") ? -1 : 1;
    offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const micros = BigInt((fraction ?? "").padEnd(6, "0").slice(0, 6));
  return (BigInt(millis) - BigInt(offsetMinutes) * 60_000n) * 1000n + micros;
}

function hexOfUtf8(value: string): string {
  return Buffer.from(value, "utf8").toString("hex");
}

/**
 * A typed literal for one file's partition value. Binary values become lower-case hex of the
 * string's UTF-8 bytes, matching how binary data columns are read (see schema.ts).
 */
export function partitionLiteral(column: string, value: string | null | undefined, type: DeltaType): pl.Expr {
  const dtype = polarsTypeFor(type);
  if (value === null || value === undefined || value === "") return pl.lit(null).cast(dtype).alias(column);
  return parsedLiteral(column, value, type).cast(dtype).alias(column);
}

function parsedLiteral(column: string, value: string, type: DeltaType): pl.Expr {
  if (typeof type !== "string") throw invalid(column, type, value); // nested types cannot be partition columns
  const trimmed = value.trim();
  switch (type) {
    case "string":
      return pl.lit(value);
    case "binary":
      return pl.lit(hexOfUtf8(value));
    case "boolean": {
      const lower = trimmed.toLowerCase();
      if (lower !== "true" && lower !== "false") throw invalid(column, type, value);
      return pl.lit(lower === "true");
    }
    case "byte":
    case "short":
    case "integer":
    case "long": {
      const bound = INTEGER_BOUNDS[type];
      if (!INTEGER.test(trimmed) || bound === undefined) throw invalid(column, type, value);
      const parsed = BigInt(trimmed);
      if (parsed < -bound || parsed >= bound) throw invalid(column, type, value);
      // As a decimal string cast by polars: exact beyond 2^53 (a JS number is not, and nodejs-polars
      // turns negative BigInt literals positive).
      return pl.lit(parsed.toString());
    }
    case "float":
    case "double":
      if (!FLOAT.test(trimmed)) throw invalid(column, type, value);
      return pl.lit(Number(trimmed));
    case "date": {
      const match = DATE.exec(trimmed);
      if (!match) throw invalid(column, type, value);
      return pl.lit(daysSinceEpoch(match));
    }
    case "timestamp":
    case "timestamp_ntz": {
      const micros = parseTimestampMicros(trimmed);
      if (micros === undefined) throw invalid(column, type, value);
      return pl.lit(micros.toString()).cast(pl.Int64);
    }
    default:
      if (decimalParts(type) !== undefined && DECIMAL.test(trimmed)) return pl.lit(trimmed);
      throw invalid(column, type, value);
  }
}
