import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StrataError } from "../../engine/errors.ts";
import { DuckDbWarehouse } from "./duckdb-warehouse.ts";

describe("DuckDbWarehouse", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "strata-wh-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates, lists, describes and replaces tables and views, converting values to plain JS", async () => {
    const wh = await DuckDbWarehouse.open({ path: ":memory:" });
    try {
      expect(
        await wh.createOrReplace(
          "table",
          { schema: "marts", name: "t" },
          "SELECT 1 AS a, DATE '2014-12-31' AS d",
        ),
      ).toEqual({ rows: 1 });
      expect(
        await wh.createOrReplace("view", { schema: "marts", name: "v" }, "SELECT a, d FROM marts.t"),
      ).toEqual({});
      expect(await wh.listTables("marts")).toEqual([
        { schema: "marts", name: "t", kind: "table" },
        { schema: "marts", name: "v", kind: "view" },
      ]);
      expect((await wh.columns({ schema: "marts", name: "t" })).map((c) => [c.name, c.type])).toEqual([
        ["a", "INTEGER"],
        ["d", "DATE"],
      ]);
      expect(await wh.query("SELECT count(*) AS n, max(d) AS d, 2.5::DOUBLE AS x FROM marts.v")).toEqual([
        { n: 1, d: "2014-12-31", x: 2.5 },
      ]);
      // A view may replace a table of the same name (DuckDB alone refuses that).
      await wh.createOrReplace("view", { schema: "marts", name: "t" }, "SELECT 7 AS a");
      expect(await wh.query("SELECT a FROM marts.t")).toEqual([{ a: 7 }]);
      expect(await wh.exists({ schema: "marts", name: "nope" })).toBe(false);
    } finally {
      await wh.close();
    }
  });

  it("registers Parquet files as a source view, and an empty source from declared columns", async () => {
    const wh = await DuckDbWarehouse.open({ path: join(dir, "wh.duckdb") });
    try {
      const file = join(dir, "part-0.parquet");
      await wh.execute(`COPY (SELECT 'A' AS order_id, 3 AS quantity) TO '${file}' (FORMAT parquet)`);
      await wh.registerSource({ schema: "silver", name: "sales" }, [file]);
      expect(await wh.query("SELECT * FROM silver.sales")).toEqual([{ order_id: "A", quantity: 3 }]);
      // Partition values live in the Delta log, not in the files: they become typed columns.
      const other = join(dir, "part-1.parquet");
      await wh.execute(`COPY (SELECT 'B' AS order_id, 4 AS quantity) TO '${other}' (FORMAT parquet)`);
      await wh.registerSource(
        { schema: "silver", name: "by_day" },
        [
          { path: file, partitionValues: { day: "2024-01-01" } },
          { path: other, partitionValues: { day: null } },
        ],
        [{ name: "day", type: "DATE" }],
      );
      expect(await wh.query("SELECT order_id, day FROM silver.by_day ORDER BY order_id")).toEqual([
        { order_id: "A", day: "2024-01-01" },
        { order_id: "B", day: null },
      ]);
      await wh.registerSource(
        { schema: "silver", name: "empty" },
        [],
        [{ name: "order_id", type: "VARCHAR" }],
      );
      expect(await wh.query("SELECT count(*) AS n FROM silver.empty")).toEqual([{ n: 0 }]);
      await expect(wh.registerSource({ schema: "silver", name: "x" }, [])).rejects.toSatisfy((e) =>
        StrataError.is(e, "STRATA_ERR_WAREHOUSE"),
      );
    } finally {
      await wh.close();
    }
  });

  it("runs statements side by side on several connections, and concurrent builds share one new schema", async () => {
    const wh = await DuckDbWarehouse.open({ path: join(dir, "pool.duckdb"), connections: 2 });
    try {
      const finished: string[] = [];
      const slow = wh
        .query("SELECT SUM(i) AS s FROM range(200000000) AS r(i)")
        .then(() => finished.push("slow"));
      const quick = wh.query("SELECT 1 AS one").then(() => finished.push("quick"));
      await Promise.all([slow, quick]);
      // On one connection the quick query would wait for the slow one.
      expect(finished).toEqual(["quick", "slow"]);
      const names = ["a", "b", "c", "d", "e"];
      await Promise.all(
        names.map((name) => wh.createOrReplace("table", { schema: "pooled", name }, `SELECT '${name}' AS v`)),
      );
      expect((await wh.listTables("pooled")).map((t) => t.name)).toEqual(names);
      const pending = wh.query("SELECT COUNT(*) AS n FROM range(1000000)");
      await wh.close();
      // close() lets work under way finish, then refuses new work.
      expect(await pending).toEqual([{ n: 1000000 }]);
      await expect(wh.query("SELECT 1")).rejects.toSatisfy((e) => StrataError.is(e, "STRATA_ERR_WAREHOUSE"));
    } finally {
      await wh.close();
    }
  });

  it("rolls a failed transaction back and reports the failing statement with a code", async () => {
    const wh = await DuckDbWarehouse.open({ path: ":memory:" });
    try {
      await wh.createOrReplace("table", { schema: "s", name: "t" }, "SELECT 1 AS a");
      await wh.createOrReplace("table", { schema: "s", name: "other" }, "SELECT 1 AS a");
      const failing = wh.transaction(async (tx) => {
        await tx.execute("INSERT INTO s.t VALUES (2)");
        // Concurrent work outside the transaction is neither part of it nor rolled back with it.
        await wh.execute("INSERT INTO s.other VALUES (2)");
        await tx.execute("INSERT INTO s.t VALUES ('not a number')");
      });
      await expect(failing).rejects.toSatisfy(
        (e) => StrataError.is(e, "STRATA_ERR_WAREHOUSE") && e.message.includes("not a number"),
      );
      expect(await wh.query("SELECT count(*) AS n FROM s.t")).toEqual([{ n: 1 }]);
      expect(await wh.query("SELECT count(*) AS n FROM s.other")).toEqual([{ n: 2 }]);
      await wh.transaction(async (tx) => {
        await tx.execute("INSERT INTO s.t VALUES (3)");
      });
      expect(await wh.query("SELECT count(*) AS n FROM s.t")).toEqual([{ n: 2 }]);
    } finally {
      await wh.close();
    }
  });
});
