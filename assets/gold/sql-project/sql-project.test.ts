import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ErrorCode, StrataError } from "../../../engine/errors.ts";
import { DuckDbWarehouse } from "../../../resources/warehouse/duckdb-warehouse.ts";
import { loadSqlProject, runModel, runTest, runTests } from "./index.ts";

const dirs: string[] = [];
async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "strata-sqlp-"));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const SOURCES = JSON.stringify({
  sources: [
    {
      source: "raw",
      table: "people",
      columns: [
        { name: "id", type: "VARCHAR" },
        { name: "city", type: "VARCHAR" },
        { name: "seen", type: "DATE" },
        { name: "visits", type: "INTEGER" },
      ],
    },
  ],
});

describe("loadSqlProject", () => {
  it("orders models by their refs, derives schemas from folders and attaches tests to the model they ref", async () => {
    const dir = await project({
      "sources.json": SOURCES,
      "marts/b_mart.sql": "{{ config(materialized='table') }}\nSELECT * FROM {{ ref('a_stage') }}",
      "staging/a_stage.sql": "SELECT id FROM {{ source('raw', 'people') }};\n",
      "tests/b_has_rows.sql":
        "{{ config(severity='warn') }}\nSELECT 1 AS x WHERE NOT EXISTS (SELECT 1 FROM {{ ref('b_mart') }})",
      "tests/schema.json": JSON.stringify({
        models: { b_mart: { columns: { id: ["unique", "not_null"] } } },
      }),
    });
    const p = await loadSqlProject(dir);
    expect(p.models.map((m) => [m.name, m.relation.schema, m.config.materialized, m.refs])).toEqual([
      ["a_stage", "staging", "view", []],
      ["b_mart", "marts", "table", ["a_stage"]],
    ]);
    expect(p.model("a_stage").sources).toEqual([{ source: "raw", table: "people" }]);
    expect(p.tests.map((t) => [t.name, t.model, t.severity, t.kind])).toEqual([
      ["b_has_rows", "b_mart", "warn", "singular"],
      ["unique_b_mart_id", "b_mart", "error", "generic"],
      ["not_null_b_mart_id", "b_mart", "error", "generic"],
    ]);
    expect(p.model("b_mart").compile({ dialect: "duckdb", isIncremental: false })).toContain(
      "FROM staging.a_stage",
    );
    expect(p.model("a_stage").compile({ dialect: "duckdb", isIncremental: false })).toBe(
      "SELECT id FROM raw.people",
    );
  });

  it("rejects a ref to an unknown model with a coded error and a suggestion", async () => {
    const dir = await project({
      "staging/stg_orders.sql": "SELECT 1 AS id",
      "marts/fact.sql": "SELECT * FROM {{ ref('stg_order') }}",
    });
    const error = await loadSqlProject(dir).catch((e: unknown) => e);
    expect(StrataError.is(error, "STRATA_ERR_SQL_UNKNOWN_REF")).toBe(true);
    expect(String(error)).toContain("Did you mean 'stg_orders'?");
    expect(String(error)).toContain("marts/fact.sql");
  });

  it("rejects unknown sources, config keys, macros, unclosed blocks and cycles with codes", async () => {
    const cases: [Record<string, string>, ErrorCode, string][] = [
      [
        { "sources.json": SOURCES, "s/m.sql": "SELECT * FROM {{ source('raw', 'peple') }}" },
        "STRATA_ERR_SQL_UNKNOWN_REF",
        "raw.people",
      ],
      [
        { "s/m.sql": "{{ config(materialised='table') }} SELECT 1" },
        "STRATA_ERR_SQL_PROJECT",
        "materialized",
      ],
      [{ "s/m.sql": "SELECT {{ hash_kye('a') }}" }, "STRATA_ERR_SQL_PROJECT", "hash_key"],
      [{ "s/m.sql": "SELECT 1 {% if is_incremental() %} WHERE 1=1" }, "STRATA_ERR_SQL_PROJECT", "endif"],
      [
        { "s/a.sql": "SELECT * FROM {{ ref('b') }}", "s/b.sql": "SELECT * FROM {{ ref('a') }}" },
        "STRATA_ERR_DEPENDENCY_CYCLE",
        "a → b → a",
      ],
    ];
    for (const [files, code, hint] of cases) {
      const error = await project(files)
        .then(loadSqlProject)
        .catch((e: unknown) => e);
      expect(String(error)).toContain(code);
      expect(StrataError.is(error, code)).toBe(true);
      expect(String(error)).toContain(hint);
    }
  });

  it("reports a missing project folder with a code", async () => {
    const error = await loadSqlProject(join(tmpdir(), "strata-no-such-sql-project")).catch((e: unknown) => e);
    expect(StrataError.is(error, "STRATA_ERR_SQL_PROJECT")).toBe(true);
  });

  it("renders dialect macros for DuckDB and Snowflake", async () => {
    const dir = await project({
      "s/m.sql":
        "SELECT {{ date_key('d') }}, {{ date_diff('day', 'a', 'b') }}, {{ hash_key(['x', 'y']) }}, {{ date_from_yyyymmdd('k') }} FROM t",
    });
    const m = (await loadSqlProject(dir)).model("m");
    expect(m.compile({ dialect: "duckdb", isIncremental: false })).toBe(
      "SELECT CAST(strftime(d, '%Y%m%d') AS INTEGER), date_diff('day', a, b), md5(concat_ws('|', COALESCE(CAST(x AS VARCHAR), '~'), COALESCE(CAST(y AS VARCHAR), '~'))), CAST(strptime(CAST(k AS VARCHAR), '%Y%m%d') AS DATE) FROM t",
    );
    expect(m.compile({ dialect: "snowflake", isIncremental: false })).toBe(
      "SELECT CAST(TO_CHAR(d, 'YYYYMMDD') AS INTEGER), DATEDIFF(day, a, b), MD5(CONCAT_WS('|', COALESCE(CAST(x AS VARCHAR), '~'), COALESCE(CAST(y AS VARCHAR), '~'))), TO_DATE(CAST(k AS VARCHAR), 'YYYYMMDD') FROM t",
    );
  });
});

describe("materialisations on DuckDB", () => {
  let wh: DuckDbWarehouse;
  beforeEach(async () => {
    wh = await DuckDbWarehouse.open({ path: ":memory:" });
    await wh.execute(
      "CREATE SCHEMA raw; CREATE TABLE raw.people (id VARCHAR, city VARCHAR, seen DATE, visits INTEGER)",
    );
  });
  afterEach(async () => {
    await wh.close();
  });

  it("merges an incremental model on its unique key and appends only new rows on re-run", async () => {
    const dir = await project({
      "sources.json": SOURCES,
      "marts/visits.sql": `{{ config(materialized='incremental', unique_key='id') }}
SELECT id, city, seen, visits FROM {{ source('raw', 'people') }}
{% if is_incremental() %} WHERE seen > (SELECT MAX(seen) FROM {{ this }}) {% endif %}`,
    });
    const m = (await loadSqlProject(dir)).model("visits");
    await wh.execute("INSERT INTO raw.people VALUES ('a', 'Oslo', DATE '2024-01-01', 1)");
    expect(await runModel(wh, m)).toMatchObject({ mode: "full", rows: 1 });
    await wh.execute(
      "INSERT INTO raw.people VALUES ('a', 'Bergen', DATE '2024-01-02', 2), ('b', 'Oslo', DATE '2024-01-02', 1)",
    );
    expect(await runModel(wh, m)).toMatchObject({ mode: "incremental", rows: 2, rowsAffected: 2 });
    expect(await wh.query("SELECT id, city, visits FROM marts.visits ORDER BY id")).toEqual([
      { id: "a", city: "Bergen", visits: 2 },
      { id: "b", city: "Oslo", visits: 1 },
    ]);
    expect(await runModel(wh, m)).toMatchObject({ mode: "incremental", rowsAffected: 0 });
    expect(await runModel(wh, m, { fullRefresh: true })).toMatchObject({ mode: "full", rows: 3 });
  });

  it("appends every selected row with incremental_strategy='append'", async () => {
    const dir = await project({
      "sources.json": SOURCES,
      "marts/visit_log.sql": `{{ config(materialized='incremental', incremental_strategy='append') }}
SELECT id, seen FROM {{ source('raw', 'people') }}
{% if is_incremental() %} WHERE seen > (SELECT MAX(seen) FROM {{ this }}) {% endif %}`,
    });
    const m = (await loadSqlProject(dir)).model("visit_log");
    await wh.execute("INSERT INTO raw.people VALUES ('a', 'Oslo', DATE '2024-01-01', 1)");
    await runModel(wh, m);
    await wh.execute(
      "INSERT INTO raw.people VALUES ('a', 'Oslo', DATE '2024-01-02', 1), ('a', 'Oslo', DATE '2024-01-03', 1)",
    );
    expect(await runModel(wh, m)).toMatchObject({ mode: "incremental", rowsAffected: 2, rows: 3 });
  });

  it("keeps SCD2 history: first version from first appearance, a change closes the day before, re-runs are no-ops", async () => {
    const dir = await project({
      "sources.json": SOURCES,
      "snapshots/people_history.sql": `{{ config(materialized='snapshot', unique_key='id', check_cols=['city'], first_seen='first_seen', changed_at='changed_at') }}
SELECT id, MAX_BY(city, seen) AS city, MIN(seen) AS first_seen, MAX(seen) AS changed_at, SUM(visits) AS visits
FROM {{ source('raw', 'people') }} GROUP BY id`,
      "tests/one_current.sql":
        "SELECT id FROM {{ ref('people_history') }} GROUP BY id HAVING SUM(CASE WHEN is_current THEN 1 ELSE 0 END) <> 1",
    });
    const p = await loadSqlProject(dir);
    const m = p.model("people_history");
    await wh.execute(
      "INSERT INTO raw.people VALUES ('a', 'Oslo', DATE '2024-01-01', 1), ('a', 'Oslo', DATE '2024-01-03', 1)",
    );
    expect(await runModel(wh, m)).toMatchObject({ mode: "full", versionsOpened: 1 });
    await wh.execute(
      "INSERT INTO raw.people VALUES ('a', 'Bergen', DATE '2024-01-10', 1), ('b', 'Oslo', DATE '2024-01-10', 1)",
    );
    expect(await runModel(wh, m)).toMatchObject({
      mode: "incremental",
      versionsOpened: 2,
      versionsClosed: 1,
      rows: 3,
    });
    expect(await runModel(wh, m)).toMatchObject({ versionsOpened: 0, versionsClosed: 0, rows: 3 });
    const rows = await wh.query(
      "SELECT id, city, valid_from, valid_to, is_current, visits FROM snapshots.people_history ORDER BY id, valid_from",
    );
    expect(rows).toEqual([
      {
        id: "a",
        city: "Oslo",
        valid_from: "2024-01-01",
        valid_to: "2024-01-09",
        is_current: false,
        visits: 2,
      },
      {
        id: "a",
        city: "Bergen",
        valid_from: "2024-01-10",
        valid_to: "9999-12-31",
        is_current: true,
        visits: 3,
      },
      {
        id: "b",
        city: "Oslo",
        valid_from: "2024-01-10",
        valid_to: "9999-12-31",
        is_current: true,
        visits: 1,
      },
    ]);
    const [test] = p.tests;
    if (test === undefined) throw new Error("test not loaded");
    expect(await runTest(wh, test)).toMatchObject({ passed: true, failingRows: 0, severity: "error" });
    // A late-arriving older line moves the first version's start back, opening nothing.
    await wh.execute("INSERT INTO raw.people VALUES ('a', 'Oslo', DATE '2023-12-25', 1)");
    expect(await runModel(wh, m)).toMatchObject({ versionsOpened: 0, versionsClosed: 0, rows: 3 });
    expect(
      await wh.query(
        "SELECT valid_from, valid_to FROM snapshots.people_history WHERE id = 'a' ORDER BY valid_from",
      ),
    ).toEqual([
      { valid_from: "2023-12-25", valid_to: "2024-01-09" },
      { valid_from: "2024-01-10", valid_to: "9999-12-31" },
    ]);
  });

  it("reports failing rows of a test with a sample", async () => {
    const dir = await project({
      "sources.json": SOURCES,
      "staging/people.sql": "SELECT * FROM {{ source('raw', 'people') }}",
      "tests/schema.json": JSON.stringify({
        models: {
          people: { columns: { visits: [{ accepted_range: { min: 1, max: 5 }, severity: "warn" }] } },
        },
      }),
    });
    const p = await loadSqlProject(dir);
    await wh.execute(
      "INSERT INTO raw.people VALUES ('a', 'Oslo', DATE '2024-01-01', 9), ('b', 'Oslo', DATE '2024-01-01', 2)",
    );
    for (const m of p.models) await runModel(wh, m);
    const [test] = p.tests;
    if (test === undefined) throw new Error("test not loaded");
    expect(await runTest(wh, test)).toMatchObject({
      name: "accepted_range_people_visits",
      passed: false,
      failingRows: 1,
      severity: "warn",
      sample: [{ id: "a", visits: 9 }],
    });
  });

  it("runs tests as one batch with the same results as one by one, and a broken test fails alone", async () => {
    const dir = await project({
      "sources.json": SOURCES,
      "staging/people.sql": "SELECT * FROM {{ source('raw', 'people') }}",
      "tests/schema.json": JSON.stringify({
        models: {
          people: {
            columns: {
              id: ["unique", "not_null"],
              visits: [{ accepted_range: { min: 1, max: 5 }, severity: "warn" }],
            },
          },
        },
      }),
      "tests/broken.sql": "SELECT no_such_column FROM {{ ref('people') }}",
    });
    const p = await loadSqlProject(dir);
    await wh.execute(
      "INSERT INTO raw.people VALUES ('a', 'Oslo', DATE '2024-01-01', 9), ('a', 'Oslo', DATE '2024-01-02', 2), ('b', 'Oslo', DATE '2024-01-01', 2)",
    );
    for (const m of p.models) await runModel(wh, m);
    const working = p.tests.filter((t) => t.name !== "broken");
    const summary = (r: { name: string; failingRows: number; sample: readonly unknown[] }) => ({
      name: r.name,
      failingRows: r.failingRows,
      sample: r.sample,
    });
    const oneByOne = await Promise.all(working.map((t) => runTest(wh, t)));
    expect((await Promise.all(runTests(wh, working))).map(summary)).toEqual(oneByOne.map(summary));
    expect(oneByOne.map((r) => [r.name, r.failingRows])).toEqual([
      ["unique_people_id", 1],
      ["not_null_people_id", 0],
      ["accepted_range_people_visits", 1],
    ]);
    const settled = await Promise.allSettled(runTests(wh, p.tests));
    expect(settled.map((s) => (s.status === "fulfilled" ? s.value.failingRows : "rejected"))).toEqual(
      p.tests.map((t) => (t.name === "broken" ? "rejected" : t.name === "not_null_people_id" ? 0 : 1)),
    );
    const broken = settled[p.tests.findIndex((t) => t.name === "broken")];
    expect(broken?.status === "rejected" && StrataError.is(broken.reason, "STRATA_ERR_WAREHOUSE")).toBe(true);
  });
});
