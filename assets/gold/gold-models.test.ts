/**
 * The Gold models and data tests on the real 2,743-row sample, shaped as Silver by a DuckDB fixture.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDbWarehouse } from "../../resources/warehouse/duckdb-warehouse.ts";
import { loadGoldProject, upstreamAssetKeys } from "./project.ts";
import {
  type ModelRunResult,
  type ProjectRunResult,
  runModel,
  runProject,
  type SqlProject,
} from "./sql-project/index.ts";
import { loadSilverBase, writeSilverSlice } from "./testing/silver-fixture.ts";

const SILVER = { schema: "silver", name: "sales" };

function describeFailures(run: ProjectRunResult): string {
  return run.tests
    .filter((t) => !t.passed)
    .map(
      (t) =>
        `${t.name} (${t.severity}): ${t.failingRows} failing, e.g. ${JSON.stringify(t.sample.slice(0, 2))}`,
    )
    .join("\n");
}

async function count(wh: DuckDbWarehouse, sql: string): Promise<number> {
  const [row] = await wh.query(sql);
  return Number(row?.n);
}

describe("gold models on the real sample", () => {
  let dir: string;
  let wh: DuckDbWarehouse;
  let project: SqlProject;
  let first: ProjectRunResult;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "strata-gold-"));
    wh = await DuckDbWarehouse.open({ path: ":memory:" });
    await loadSilverBase(wh);
    const file = join(dir, "part-00000.parquet");
    expect(await writeSilverSlice(wh, { parquetPath: file, processedAt: "2026-01-01 00:00:00" })).toBe(2743);
    await wh.registerSource(SILVER, [file]);
    project = await loadGoldProject();
    first = await runProject(wh, project);
  });
  afterAll(async () => {
    await wh.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("builds every model in dependency order with the expected row counts", () => {
    const rows = Object.fromEntries(first.models.map((m) => [m.model, m.rows]));
    const position = new Map(first.models.map((m, i) => [m.model, i]));
    for (const model of project.models) {
      for (const ref of model.refs) expect(position.get(ref)).toBeLessThan(position.get(model.name) ?? -1);
    }
    expect(first.models).toHaveLength(13);
    expect(rows).toMatchObject({
      stg_sales: 2743,
      stg_customers: 1149,
      stg_products: 2338,
      customer_history: 1149,
      product_history: 2338,
      dim_date: 7670,
      fact_sales: 2743,
    });
    expect(rows.stg_stores).toBe(rows.dim_store);
  });

  it("declares at least 149 data tests, and every one passes on the real sample", () => {
    expect(project.tests.length).toBeGreaterThanOrEqual(149);
    expect(first.tests).toHaveLength(project.tests.length);
    expect(describeFailures(first)).toBe("");
  });

  it("gives every fact a date key and fewer than 1% of facts lack another dimension key", async () => {
    expect(await count(wh, "SELECT COUNT(*) AS n FROM marts.fact_sales WHERE order_date_key IS NULL")).toBe(
      0,
    );
    const missing = await count(
      wh,
      "SELECT COUNT(*) AS n FROM marts.fact_sales WHERE customer_key IS NULL OR product_key IS NULL OR store_key IS NULL",
    );
    expect(missing).toBeLessThan(27);
  });

  it("computes measures per PIPELINE §4: net = sales, gross = sales / (1 - discount)", async () => {
    const [row] = await wh.query(
      `SELECT net_amount, gross_amount, discount_amount, discount FROM staging.stg_sales
       WHERE discount = 0.5 ORDER BY sales_key LIMIT 1`,
    );
    expect(row).toBeDefined();
    const net = Number(row?.net_amount);
    expect(Number(row?.gross_amount)).toBeCloseTo(net * 2, 6);
    expect(Number(row?.discount_amount)).toBeCloseTo(net, 6);
  });

  it("is idempotent: a second run opens no dimension version and merges no fact", async () => {
    const second = await runProject(wh, project, { skipTests: true });
    const byModel = Object.fromEntries(second.models.map((m) => [m.model, m]));
    for (const name of ["customer_history", "product_history", "store_history"]) {
      expect(byModel[name]).toMatchObject({ mode: "incremental", versionsOpened: 0, versionsClosed: 0 });
    }
    expect(byModel.fact_sales).toMatchObject({ mode: "incremental", rowsAffected: 0, rows: 2743 });
    for (const m of first.models) expect(byModel[m.model]?.rows).toBe(m.rows);
  });
});

describe("gold models built concurrently, as the engine runs independent assets", () => {
  it("builds dependency waves in parallel, twice, with the same results and no new versions", async () => {
    const dir = await mkdtemp(join(tmpdir(), "strata-gold-par-"));
    const wh = await DuckDbWarehouse.open({ path: join(dir, "warehouse.duckdb") });
    try {
      await loadSilverBase(wh);
      const file = join(dir, "part-00000.parquet");
      await writeSilverSlice(wh, { parquetPath: file, processedAt: "2026-01-01 00:00:00" });
      await wh.registerSource(SILVER, [file]);
      const project = await loadGoldProject();
      const rounds: ModelRunResult[][] = [];
      for (let round = 0; round < 2; round++) {
        const results: ModelRunResult[] = [];
        const done = new Set<string>();
        let pending = [...project.models];
        while (pending.length > 0) {
          const wave = pending.filter((m) => m.refs.every((r) => done.has(r)));
          results.push(...(await Promise.all(wave.map((m) => runModel(wh, m)))));
          for (const m of wave) done.add(m.name);
          pending = pending.filter((m) => !done.has(m.name));
        }
        rounds.push(results);
      }
      const rows = (results: ModelRunResult[] | undefined) =>
        Object.fromEntries((results ?? []).map((r) => [r.model, r.rows]));
      expect(rows(rounds[1])).toEqual(rows(rounds[0]));
      expect(rows(rounds[0])).toMatchObject({ fact_sales: 2743, dim_customer: 1149 });
      const snapshots = (rounds[1] ?? []).filter((r) => r.materialized === "snapshot");
      expect(snapshots.map((r) => [r.versionsOpened, r.versionsClosed])).toEqual([
        [0, 0],
        [0, 0],
        [0, 0],
      ]);
    } finally {
      await wh.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the Gold project for Snowflake", () => {
  it("renders every model and test without DuckDB-only functions", async () => {
    const project = await loadGoldProject();
    const duckdbOnly =
      /\b(strftime|strptime|isodow|weekofyear|isoyear|dayname|monthname|to_days|range|date_diff)\s*\(/i;
    const rendered = [
      ...project.models.flatMap((m) =>
        [true, false].map((isIncremental) => m.compile({ dialect: "snowflake", isIncremental })),
      ),
      ...project.tests.map((t) => t.sql("snowflake")),
    ];
    expect(rendered.filter((sql) => duckdbOnly.test(sql))).toEqual([]);
    expect(project.model("dim_date").compile({ dialect: "snowflake", isIncremental: false })).toContain(
      "GENERATOR(ROWCOUNT => 7670)",
    );
  });

  it("maps models to gold assets with their upstream keys", async () => {
    const project = await loadGoldProject();
    expect(upstreamAssetKeys(project.model("stg_sales"))).toEqual(["silver/sales"]);
    expect(upstreamAssetKeys(project.model("fact_sales"))).toEqual([
      "gold/dim_customer",
      "gold/dim_date",
      "gold/dim_product",
      "gold/dim_store",
      "gold/stg_sales",
    ]);
    expect(new Set(project.tests.map((t) => t.model)).size).toBe(project.models.length);
  });
});

describe("stg_sales data-quality score", () => {
  it("keeps a line scoring exactly 70 and excludes one scoring 65", async () => {
    const dir = await mkdtemp(join(tmpdir(), "strata-gold-dq-"));
    const wh = await DuckDbWarehouse.open({ path: ":memory:" });
    try {
      await loadSilverBase(wh);
      const ids = (
        await wh.query("SELECT source_row_id AS id FROM fixture.silver_base ORDER BY source_row_id LIMIT 3")
      ).map((r) => String(r.id));
      const [at70, at65] = ids;
      const when = (id: string | undefined, value: string, column: string) =>
        `CASE WHEN source_row_id = '${id}' THEN ${value} ELSE ${column} END`;
      const file = join(dir, "dq.parquet");
      // 70 = 100 - customer id (15) - product id (15); 65 = 100 - customer id (15) - name, region,
      // country (5 each) - unknown source system (5).
      const missingCustomer = `CASE WHEN source_row_id IN ('${at70}', '${at65}') THEN NULL ELSE customer_id END`;
      await writeSilverSlice(wh, {
        parquetPath: file,
        where: `source_row_id IN (${ids.map((id) => `'${id}'`).join(", ")})`,
        processedAt: "2026-01-01 00:00:00",
        overrides: {
          customer_id: missingCustomer,
          product_id: when(at70, "NULL", "product_id"),
          customer_name: when(at65, "NULL", "customer_name"),
          region: when(at65, "NULL", "region"),
          country: when(at65, "NULL", "country"),
          source_system: when(at65, "'FTP'", "source_system"),
        },
      });
      await wh.registerSource(SILVER, [file]);
      const project = await loadGoldProject();
      await runModel(wh, project.model("stg_sales"));
      const rows = await wh.query(
        "SELECT source_row_id, data_quality_score FROM staging.stg_sales ORDER BY source_row_id",
      );
      expect(rows).toEqual([
        { source_row_id: ids[0], data_quality_score: 70 },
        { source_row_id: ids[2], data_quality_score: 100 },
      ]);
    } finally {
      await wh.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
