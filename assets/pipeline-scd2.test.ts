/**
 * SCD2 end to end: day 1 lands the sample's orders before 2014-07-01; day 2 lands the rest, in which
 * one customer has relocated and one product is renamed and repriced. Both go landing → Bronze →
 * Silver (Delta) → Gold through the real pipeline.
 */
import pl from "nodejs-polars";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SAMPLE_CSV } from "./commands/demo.ts";
import { collectSummary } from "./commands/summary.ts";
import { PipelineHarness } from "./testing/pipeline-harness.ts";

const CUTOFF = "2014-07-01";
const sample = pl.readCSV(SAMPLE_CSV, { inferSchemaLength: 0 });
const orderDate = pl.col("Order Date").str.strptime(pl.Date, "%d/%m/%Y");
const cutoff = pl.lit(CUTOFF).str.strptime(pl.Date, "%Y-%m-%d");

/** The first id (sorted) with orders on both sides of the cut-off. */
function spanning(column: string): string {
  const ids = sample
    .withColumns(orderDate.alias("d"))
    .groupBy(column)
    .agg(pl.col("d").min().alias("first"), pl.col("d").max().alias("last"))
    .filter(pl.col("first").lt(cutoff).and(pl.col("last").gtEq(cutoff)))
    .sort(column)
    .getColumn(column)
    .toArray();
  const id = ids[0];
  if (typeof id !== "string") throw new Error(`no ${column} spans the cut-off`);
  return id;
}

const csv = (frame: pl.DataFrame): Uint8Array => new TextEncoder().encode(frame.writeCSV().toString());

describe("SCD2 across two daily loads through the whole pipeline", () => {
  let h: PipelineHarness;
  const customer = spanning("Customer ID");
  const product = spanning("Product ID");

  beforeAll(async () => {
    h = await PipelineHarness.open();
    const day1 = sample.filter(orderDate.lt(cutoff));
    const isCustomer = pl.col("Customer ID").eq(pl.lit(customer));
    const isProduct = pl.col("Product ID").eq(pl.lit(product));
    const relocate = (column: string, value: string) =>
      pl.when(isCustomer).then(pl.lit(value)).otherwise(pl.col(column)).alias(column);
    const day2 = sample.filter(orderDate.gtEq(cutoff)).withColumns(
      relocate("City", "Portland"),
      relocate("State", "Oregon"),
      relocate("Country", "United States"),
      relocate("Postal Code", "97201"),
      relocate("Market", "US"),
      relocate("Region", "West"),
      pl
        .when(isProduct)
        .then(pl.lit("Renamed Product"))
        .otherwise(pl.col("Product Name"))
        .alias("Product Name"),
      pl
        .when(isProduct)
        .then(
          pl
            .lit(100)
            .mul(pl.col("Quantity").cast(pl.Float64))
            .mul(pl.lit(1).sub(pl.col("Discount").cast(pl.Float64)))
            .cast(pl.Utf8),
        )
        .otherwise(pl.col("Sales"))
        .alias("Sales"),
    );
    const first = await h.land("day1.csv", csv(day1), Date.parse("2026-11-10T08:00:00Z"));
    expect((await h.run("*", first)).status).toBe("success");
    const second = await h.land("day2.csv", csv(day2), Date.parse("2026-11-11T08:00:00Z"));
    expect((await h.run("*", second)).status).toBe("success");
  });
  afterAll(async () => h.close());

  test("all 2,743 lines are in Silver and Gold, and every data test passes after day 2", async () => {
    const summary = await collectSummary(h.workspace);
    expect(summary.bronze).toEqual({ objects: 2, rows: 2743, refused: 0 });
    expect(summary.silverRows).toBe(2743);
    expect(summary.checks.failing).toEqual([]);
    expect(await h.scalar("select count(*) from marts.fact_sales")).toBe(2743);
  });

  test("the relocated customer has two versions with correct validity ranges", async () => {
    const versions = await h.query(
      `select city, valid_from, valid_to, is_current from marts.dim_customer where customer_id = '${customer}' order by valid_from`,
    );
    expect(versions).toHaveLength(2);
    const [moved] = await h.query(
      `select min(order_date) as d from marts.fact_sales where customer_id = '${customer}' and order_date >= date '${CUTOFF}'`,
    );
    const movedOn = String(moved?.d);
    const dayBefore = new Date(Date.parse(`${movedOn}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    expect(versions[0]).toMatchObject({ valid_to: dayBefore, is_current: false });
    expect(versions[0]?.city).not.toBe("Portland");
    expect(versions[1]).toEqual({
      city: "Portland",
      valid_from: movedOn,
      valid_to: "9999-12-31",
      is_current: true,
    });
  });

  test("the renamed, repriced product has two versions", async () => {
    const versions = await h.query(
      `select product_name, list_price, is_current from marts.dim_product where product_id = '${product}' order by valid_from`,
    );
    expect(versions).toHaveLength(2);
    expect(versions[0]?.product_name).not.toBe("Renamed Product");
    expect(versions[1]).toMatchObject({ product_name: "Renamed Product", list_price: 100, is_current: true });
  });

  test("facts of each day join to the version valid on their order date", async () => {
    const facts = await h.query(
      `select f.order_date < date '${CUTOFF}' as day1, d.city from marts.fact_sales f join marts.dim_customer d on d.customer_key = f.customer_key where f.customer_id = '${customer}'`,
    );
    expect(facts.some((r) => r.day1 === true) && facts.some((r) => r.day1 === false)).toBe(true);
    for (const row of facts) expect(row.city === "Portland").toBe(row.day1 === false);
    const products = await h.query(
      `select f.order_date < date '${CUTOFF}' as day1, d.product_name from marts.fact_sales f join marts.dim_product d on d.product_key = f.product_key where f.product_id = '${product}'`,
    );
    for (const row of products) expect(row.product_name === "Renamed Product").toBe(row.day1 === false);
  });

  test("re-running day 2 opens no new dimension versions", async () => {
    const before = await h.scalar("select count(*) from marts.dim_customer");
    expect((await h.run("*", "2026-11-11")).status).toBe("success");
    expect(await h.scalar("select count(*) from marts.dim_customer")).toBe(before);
  });
});
