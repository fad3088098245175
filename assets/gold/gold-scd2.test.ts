/**
 * SCD2 across runs: day 1 loads the sample's orders before 2014-07-01; day 2 adds the rest, in which
 * one customer has relocated and one product is renamed and repriced.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StrataError } from "../../engine/errors.ts";
import { DuckDbWarehouse } from "../../resources/warehouse/duckdb-warehouse.ts";
import { GOLD_SQL_DIR, loadGoldProject } from "./project.ts";
import { type ProjectRunResult, runModel, runProject, type SqlProject } from "./sql-project/index.ts";
import { loadSilverBase, writeSilverSlice } from "./testing/silver-fixture.ts";

const CUTOFF = "DATE '2014-07-01'";
const SILVER = { schema: "silver", name: "sales" };

function failures(run: ProjectRunResult): string[] {
  return run.tests
    .filter((t) => !t.passed)
    .map((t) => `${t.name}: ${t.failingRows} ${JSON.stringify(t.sample[0])}`);
}

function text(value: unknown): string {
  if (typeof value !== "string") throw new Error(`expected a string, got ${JSON.stringify(value)}`);
  return value;
}

describe("SCD2 history across two daily loads", () => {
  let dir: string;
  let wh: DuckDbWarehouse;
  let project: SqlProject;
  let customer: string;
  let product: string;
  let day2: ProjectRunResult;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "strata-scd2-"));
    wh = await DuckDbWarehouse.open({ path: ":memory:" });
    project = await loadGoldProject();
    await loadSilverBase(wh);
    // The first customer and product (by id) with orders on both sides of the cut-off.
    const spanning = (id: string): string =>
      `SELECT ${id} AS id FROM fixture.silver_base GROUP BY ${id}
       HAVING MIN(order_date) < ${CUTOFF} AND MAX(order_date) >= ${CUTOFF} ORDER BY ${id} LIMIT 1`;
    customer = text((await wh.query(spanning("customer_id")))[0]?.id);
    product = text((await wh.query(spanning("product_id")))[0]?.id);

    const day1File = join(dir, "day1.parquet");
    await writeSilverSlice(wh, {
      parquetPath: day1File,
      where: `order_date < ${CUTOFF}`,
      processedAt: "2026-01-01 02:00:00",
    });
    await wh.registerSource(SILVER, [day1File]);
    const day1 = await runProject(wh, project);
    expect(failures(day1)).toEqual([]);

    const isCustomer = `customer_id = '${customer}'`;
    const isProduct = `product_id = '${product}'`;
    const relocated = (value: string, column: string): string =>
      `CASE WHEN ${isCustomer} THEN '${value}' ELSE ${column} END`;
    const day2File = join(dir, "day2.parquet");
    await writeSilverSlice(wh, {
      parquetPath: day2File,
      where: `order_date >= ${CUTOFF}`,
      processedAt: "2026-01-02 02:00:00",
      overrides: {
        city: relocated("Portland", "city"),
        state: relocated("Oregon", "state"),
        country: relocated("United States", "country"),
        postal_code: relocated("97201", "postal_code"),
        market: relocated("US", "market"),
        region: relocated("West", "region"),
        product_name: `CASE WHEN ${isProduct} THEN 'Renamed Product' ELSE product_name END`,
        // A list price of exactly 100.00 on every repriced line.
        sales: `CASE WHEN ${isProduct} THEN 100 * quantity * (1 - discount) ELSE sales END`,
      },
    });
    // Silver after day 2 is both days' files (a Delta snapshot's active files).
    await wh.registerSource(SILVER, [day1File, day2File]);
    day2 = await runProject(wh, project);
  });
  afterAll(async () => {
    await wh.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("passes every data test after the second load", () => {
    expect(failures(day2)).toEqual([]);
    expect(day2.models.find((m) => m.model === "fact_sales")).toMatchObject({ mode: "incremental" });
  });

  it("closes the relocated customer's first version the day before the move and opens a current one", async () => {
    const [firstDay2] = await wh.query(
      `SELECT MIN(order_date) AS d FROM fixture.silver_base WHERE customer_id = '${customer}' AND order_date >= ${CUTOFF}`,
    );
    const [firstSeen] = await wh.query(
      `SELECT MIN(order_date) AS d FROM fixture.silver_base WHERE customer_id = '${customer}'`,
    );
    const versions = await wh.query(
      `SELECT city, valid_from, valid_to, is_current FROM marts.dim_customer WHERE customer_id = '${customer}' ORDER BY valid_from`,
    );
    expect(versions).toHaveLength(2);
    const moved = text(firstDay2?.d);
    const dayBefore = new Date(Date.parse(`${moved}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    expect(versions[0]).toMatchObject({ valid_from: firstSeen?.d, valid_to: dayBefore, is_current: false });
    expect(versions[0]?.city).not.toBe("Portland");
    expect(versions[1]).toEqual({
      city: "Portland",
      valid_from: moved,
      valid_to: "9999-12-31",
      is_current: true,
    });
  });

  it("keeps the product's old name and price in its first version and the new ones in the current version", async () => {
    const versions = await wh.query(
      `SELECT product_name, list_price, valid_to, is_current FROM marts.dim_product WHERE product_id = '${product}' ORDER BY valid_from`,
    );
    expect(versions).toHaveLength(2);
    expect(versions[0]?.product_name).not.toBe("Renamed Product");
    expect(versions[0]?.is_current).toBe(false);
    expect(versions[1]).toMatchObject({
      product_name: "Renamed Product",
      list_price: 100,
      valid_to: "9999-12-31",
      is_current: true,
    });
  });

  async function expectFactsJoinTheirDaysVersion(): Promise<void> {
    const customerFacts = await wh.query(
      `SELECT f.order_date < ${CUTOFF} AS day1, d.city FROM marts.fact_sales AS f
       JOIN marts.dim_customer AS d ON d.customer_key = f.customer_key WHERE f.customer_id = '${customer}'`,
    );
    expect(customerFacts.some((r) => r.day1 === true) && customerFacts.some((r) => r.day1 === false)).toBe(
      true,
    );
    for (const row of customerFacts) expect(row.city === "Portland").toBe(row.day1 === false);
    const productFacts = await wh.query(
      `SELECT f.order_date < ${CUTOFF} AS day1, d.product_name FROM marts.fact_sales AS f
       JOIN marts.dim_product AS d ON d.product_key = f.product_key WHERE f.product_id = '${product}'`,
    );
    expect(productFacts.some((r) => r.day1 === true) && productFacts.some((r) => r.day1 === false)).toBe(
      true,
    );
    for (const row of productFacts) expect(row.product_name === "Renamed Product").toBe(row.day1 === false);
    const [total] = await wh.query("SELECT COUNT(*) AS n FROM marts.fact_sales");
    expect(total?.n).toBe(2743);
  }

  it("joins each day's facts to the version valid on their order date", async () => {
    await expectFactsJoinTheirDaysVersion();
  });

  it("resolves the same versions when fact_sales is rebuilt from scratch (as of order date, not current)", async () => {
    expect(await runModel(wh, project.model("fact_sales"), { fullRefresh: true })).toMatchObject({
      mode: "full",
      rows: 2743,
    });
    await expectFactsJoinTheirDaysVersion();
  });

  it("opens no version when the same two days are loaded again", async () => {
    const before = await wh.query("SELECT COUNT(*) AS n FROM marts.dim_customer");
    const again = await runProject(wh, project, { skipTests: true });
    for (const m of again.models.filter((r) => r.materialized === "snapshot")) {
      expect(m).toMatchObject({ versionsOpened: 0, versionsClosed: 0 });
    }
    expect(await wh.query("SELECT COUNT(*) AS n FROM marts.dim_customer")).toEqual(before);
  });
});

describe("a broken ref in the Gold project", () => {
  it("fails loading with STRATA_ERR_SQL_UNKNOWN_REF, naming the file and the closest model", async () => {
    const dir = await mkdtemp(join(tmpdir(), "strata-gold-broken-"));
    try {
      await cp(GOLD_SQL_DIR, dir, { recursive: true });
      const fact = join(dir, "marts", "fact_sales.sql");
      await writeFile(
        fact,
        (await readFile(fact, "utf8")).replace("ref('dim_customer')", "ref('dim_custmer')"),
      );
      const error = await loadGoldProject(dir).catch((e: unknown) => e);
      expect(StrataError.is(error, "STRATA_ERR_SQL_UNKNOWN_REF")).toBe(true);
      expect(String(error)).toContain('marts/fact_sales.sql refers to model "dim_custmer"');
      expect(String(error)).toContain("Did you mean 'dim_customer'?");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
