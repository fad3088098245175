import pl from "nodejs-polars";
import { describe, expect, it } from "vitest";
import { decodeLogPath, encodeLogPath, hiveEscape, partitionDirectory } from "./partition-values.ts";
import { computeStats, isoMicros, statsColumns } from "./stats.ts";

describe("computeStats", () => {
  it("encodes numbers, strings, dates and microsecond UTC timestamps", () => {
    const frame = pl
      .DataFrame({
        id: [3, 1, null],
        name: ["b", "a", "c"],
        day: [new Date("2024-01-02T00:00:00Z"), new Date("2023-12-31T00:00:00Z"), null],
        at: ["1700000000123456", "1700000000123456", null],
      })
      .withColumns(
        pl.col("id").cast(pl.Int64),
        pl.col("day").cast(pl.Date),
        pl.col("at").cast(pl.Int64).cast(pl.Datetime("us", "UTC")),
      );
    const stats = computeStats(frame, frame.columns);
    expect(stats).toEqual({
      numRecords: 3,
      minValues: { id: 1, name: "a", day: "2023-12-31", at: "2023-11-14T22:13:20.123456Z" },
      maxValues: { id: 3, name: "c", day: "2024-01-02", at: "2023-11-14T22:13:20.123456Z" },
      nullCount: { id: 1, name: 0, day: 1, at: 1 },
    });
  });

  it("omits min/max for floats holding NaN and for long strings' max", () => {
    const frame = pl.DataFrame({ f: [1.5, Number.NaN], s: ["x".repeat(40), "a"] });
    const stats = computeStats(frame, ["f", "s"]);
    expect(stats.minValues).toEqual({ s: "a" });
    expect(stats.maxValues).toEqual({});
    expect(stats.nullCount).toEqual({ f: 0, s: 0 });
    const infinite = pl.DataFrame({
      up: [1, Number.POSITIVE_INFINITY],
      down: [Number.NEGATIVE_INFINITY, 2],
      nulls: [null, 2.5],
      fine: [0.5, -3],
    });
    const bounds = computeStats(infinite, ["up", "down", "nulls", "fine"]);
    expect(bounds.minValues).toEqual({ nulls: 2.5, fine: -3 });
    expect(bounds.maxValues).toEqual({ nulls: 2.5, fine: 0.5 });
  });

  it("limits stats to delta.dataSkippingNumIndexedCols or the listed columns", () => {
    expect(statsColumns(["a", "b", "c"], { "delta.dataSkippingNumIndexedCols": "2" })).toEqual(["a", "b"]);
    expect(statsColumns(["a", "b", "c"], { "delta.dataSkippingStatsColumns": "c, a" })).toEqual(["a", "c"]);
  });

  it("formats microseconds without losing digits", () => {
    expect(isoMicros(1_000_001)).toBe("1970-01-01T00:00:01.000001Z");
  });
});

describe("partition paths", () => {
  it("Hive-escapes directory values, then URI-encodes the log path", () => {
    expect(hiveEscape("a:b/c%d e")).toBe("a%3Ab%2Fc%25d e");
    const directory = partitionDirectory(["p", "q"], { p: "a:b c", q: null });
    expect(directory).toBe("p=a%3Ab c/q=__HIVE_DEFAULT_PARTITION__/");
    const logPath = encodeLogPath(`${directory}f.parquet`);
    expect(logPath).toBe("p=a%253Ab%20c/q=__HIVE_DEFAULT_PARTITION__/f.parquet");
    expect(decodeLogPath(logPath)).toBe(`${directory}f.parquet`);
  });
});
