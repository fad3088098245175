import { readFileSync } from "node:fs";
import pl from "nodejs-polars";
import { describe, expect, it } from "vitest";
import { transformToSilver } from "../silver/transform/transform.ts";
import { REJECTION_REASONS } from "../silver/transform/types.ts";
import { formatExpectedCounts, generateSalesCsv, ROWS_1X } from "./generate.ts";
import { HEADER, SAMPLE_PATH } from "./vocab.ts";

const csvOf = (g: { csv?: Buffer }): Buffer => g.csv ?? Buffer.alloc(0);

describe("generateSalesCsv", () => {
  it("is deterministic per seed (identical bytes) and differs across seeds", () => {
    const a = csvOf(generateSalesCsv({ rows: 3000, seed: 5, errors: 0.05 }));
    const b = csvOf(generateSalesCsv({ rows: 3000, seed: 5, errors: 0.05 }));
    const c = csvOf(generateSalesCsv({ rows: 3000, seed: 6, errors: 0.05 }));
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    expect(ROWS_1X).toBe(51_290);
  });

  it("writes the sample's 24-column header and realistic, mutually consistent values", () => {
    expect(readFileSync(SAMPLE_PATH, "utf8").split("\n")[0]).toBe(HEADER);
    const csv = csvOf(generateSalesCsv({ rows: 5000, seed: 11 }));
    expect(csv.toString("utf8", 0, HEADER.length)).toBe(HEADER);
    const df = pl.readCSV(csv, { inferSchemaLength: 0 });
    expect(df.width).toBe(24);
    expect(df.height).toBe(5000);
    const sample = pl.readCSV(readFileSync(SAMPLE_PATH), { inferSchemaLength: 0 });
    // Every product keeps its own category and sub-category; every place its state/country/market/region.
    const productKeys = (d: pl.DataFrame) =>
      new Set(
        d
          .select("Product ID", "Category", "Sub-Category")
          .rows()
          .map((r) => r.join("|")),
      );
    const placeKeys = (d: pl.DataFrame) =>
      new Set(
        d
          .select("City", "State", "Country", "Market", "Region")
          .rows()
          .map((r) => r.join("|")),
      );
    const realProducts = productKeys(sample);
    const realPlaces = placeKeys(sample);
    for (const k of productKeys(df)) expect(realProducts.has(k)).toBe(true);
    for (const k of placeKeys(df)) expect(realPlaces.has(k)).toBe(true);
    // A clean file passes every Silver rule: ship ≥ order, sales/quantity > 0, discount in 0..1.
    const r = transformToSilver([{ content: csv, key: "gen.csv", sha256: "0", ingestedAtMs: 0 }], {
      runId: "t",
    });
    expect(r.counts.quarantineRows).toBe(0);
    const stats = r.silver.select(
      pl.col("quantity").min().alias("qmin"),
      pl.col("quantity").max().alias("qmax"),
      pl.col("discount").max().alias("dmax"),
      pl.col("profit").min().alias("pmin"),
    );
    const [qmin, qmax, dmax, pmin] = stats.row(0).map(Number);
    expect(qmin).toBe(1);
    expect(qmax).toBeLessThanOrEqual(14);
    expect(dmax).toBeLessThanOrEqual(0.8);
    expect(pmin).toBeLessThan(0);
    expect(r.silver.getColumn("order_date").min()).toBeDefined();
  });

  it("injects every §3 kind and reports the expected count per reason", () => {
    const g = generateSalesCsv({ rows: 2000, seed: 3, errors: 0.1 });
    const total = REJECTION_REASONS.reduce((s, r) => s + g.expected[r], 0);
    expect(total).toBe(200);
    for (const r of REJECTION_REASONS) expect(g.expected[r]).toBe(20);
    expect(g.expectedSilverRows).toBe(1800);
    expect(formatExpectedCounts(g)).toMatch(/duplicate_business_key\s+20/);
  });

  it("refuses invalid options with a coded error", () => {
    expect(() => generateSalesCsv({ rows: -1, seed: 1 })).toThrow(/STRATA_ERR_INVALID_OPTION/);
    expect(() => generateSalesCsv({ rows: 10, seed: 1, errors: 2 })).toThrow(/STRATA_ERR_INVALID_OPTION/);
  });
});
