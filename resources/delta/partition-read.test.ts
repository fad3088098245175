import pl from "nodejs-polars";
import { describe, expect, it } from "vitest";
import { StrataError } from "../../engine/errors.ts";
import { parseTimestampMicros, partitionLiteral } from "./partition-read.ts";

/** The literal evaluated in a one-row frame, cast to a JS-friendly type. */
function literalValue(
  column: string,
  value: string | null,
  type: string,
  as: pl.DataType = pl.Utf8,
): unknown {
  const frame = pl.DataFrame({ n: [1] }).select(partitionLiteral(column, value, type).cast(as).alias("v"));
  const rows: Record<string, unknown>[] = frame.toRecords();
  return rows[0]?.v;
}

describe("partition values", () => {
  it("parses zone-less timestamps as UTC and ISO-8601 forms with their offset", () => {
    expect(parseTimestampMicros("2020-01-01 08:09:10.001")).toBe(1577866150001000n);
    expect(parseTimestampMicros("2024-01-01T10:00:00.000000Z")).toBe(1704103200000000n);
    expect(parseTimestampMicros("2024-01-01T11:00:00+01:00")).toBe(1704103200000000n);
    expect(parseTimestampMicros("1969-01-01 00:00:00")).toBe(-31536000000000n);
    expect(parseTimestampMicros("2021-09-08 11:11:11.123456")).toBe(1631099471123456n);
    expect(parseTimestampMicros("not a time")).toBeUndefined();
  });

  it("types every primitive, keeping longs beyond 2^53 exact", () => {
    expect(literalValue("l", "9007199254740993", "long")).toBe("9007199254740993");
    expect(literalValue("i", "-42", "integer", pl.Int32)).toBe(-42);
    expect(literalValue("b", "true", "boolean", pl.Bool)).toBe(true);
    expect(literalValue("d", "2021-09-08", "date")).toBe("2021-09-08");
    expect(literalValue("f", "1.5", "double", pl.Float64)).toBe(1.5);
    expect(literalValue("m", "12.5", "decimal(10,2)")).toBe("12.50");
    expect(literalValue("t", "1969-01-01 00:00:00", "timestamp", pl.Int64)).toBe(-31536000000000);
    expect(literalValue("x", "hello", "binary")).toBe("68656c6c6f");
    expect(literalValue("s", "A/A", "string")).toBe("A/A");
  });

  it("reads JSON null and the empty string as null, the string 'null' as itself", () => {
    expect(literalValue("s", null, "string")).toBeNull();
    expect(literalValue("i", "", "integer")).toBeNull();
    expect(literalValue("s", "null", "string")).toBe("null");
  });

  it("refuses a value that does not parse as its type, quoting it", () => {
    for (const [value, type] of [
      ["12a", "integer"],
      ["300", "byte"],
      ["yes", "boolean"],
      ["2021-13", "date"],
      ["noon", "timestamp"],
      ["1,5", "decimal(3,1)"],
    ] as const) {
      let thrown: unknown;
      try {
        partitionLiteral("c", value, type);
      } catch (error) {
        thrown = error;
      }
      expect(StrataError.is(thrown, "STRATA_ERR_DELTA_CORRUPT_LOG"), `${type} ${value}`).toBe(true);
      expect(String(thrown)).toContain(JSON.stringify(value));
    }
  });
});
