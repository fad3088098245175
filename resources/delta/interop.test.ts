/**
 * Interop with delta-rs (the `deltalake` Python package, pinned, installed into .cache/venv by
 * infra/local/python-venv.sh): tables Strata writes read identically in delta-rs, version by
 * version, and tables delta-rs writes read identically in Strata (and can be written on by it).
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pl from "nodejs-polars";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalObjectStore } from "../object-store/local-object-store.ts";
import { versionFileName } from "./actions.ts";
import { logKey } from "./commit.ts";
import { DeltaTable } from "./delta-table.ts";
import { readTable } from "./read-table.ts";
import { loadSnapshot } from "./snapshot.ts";
import { canonicalRows, deltalake, ensurePython, readWithDeltaRs, sortedRows } from "./testing/deltalake.ts";

let dir: string;
let store: LocalObjectStore;

beforeAll(async () => {
  await ensurePython();
  dir = await mkdtemp(join(tmpdir(), "strata-interop-"));
  store = new LocalObjectStore(dir);
}, 600_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Sale {
  id: string;
  region: string | null;
  qty: number;
  price: number;
  day: string;
  at: number; // µs since epoch
  flag: boolean;
}

function sale(n: number, region: string | null, qty = n): Sale {
  const at = Date.UTC(2024, 0, 1 + n, 12, 30, n) * 1000 + 123_000;
  return {
    id: `id-${n}`,
    region,
    qty,
    price: n * 1.25,
    day: `2024-02-${String(10 + (n % 18)).padStart(2, "0")}`,
    at,
    flag: n % 2 === 0,
  };
}

function frameOf(sales: readonly Sale[]): pl.DataFrame {
  return pl
    .DataFrame({
      id: sales.map((s) => s.id),
      region: sales.map((s) => s.region),
      qty: sales.map((s) => String(s.qty)),
      price: sales.map((s) => s.price),
      day: sales.map((s) => s.day),
      at: sales.map((s) => String(s.at)),
      flag: sales.map((s) => s.flag),
    })
    .withColumns(
      pl.col("region").cast(pl.Utf8),
      pl.col("qty").cast(pl.Int64),
      pl.col("day").str.strptime(pl.Date, "%Y-%m-%d"),
      pl.col("at").cast(pl.Int64).cast(pl.Datetime("us", "UTC")),
    );
}

const COLUMNS = {
  id: "string",
  region: "string",
  qty: "long",
  price: "double",
  day: "date",
  at: "timestamp",
  flag: "boolean",
};

async function strataRows(root: string, version?: number) {
  const snapshot = await loadSnapshot(store, root, version === undefined ? {} : { version });
  return canonicalRows(await readTable(store, root, snapshot));
}

/** Every version of the table reads the same in Strata and in delta-rs. */
async function expectSameEverywhere(root: string): Promise<number> {
  const latest = (await loadSnapshot(store, root, {})).version;
  for (let version = 0; version <= latest; version++) {
    const theirs = await readWithDeltaRs(join(dir, root), version);
    expect(theirs.version).toBe(version);
    expect(sortedRows(theirs.rows), `${root} at version ${version}`).toEqual(
      sortedRows(await strataRows(root, version)),
    );
  }
  return latest;
}

describe("tables written by Strata, read by delta-rs", () => {
  it("unpartitioned: appends, merge, overwrite, schema evolution, delete and a checkpoint", async () => {
    const table = DeltaTable.forPath(store, "plain");
    await table.create({ schema: frameOf([sale(0, "N")]), properties: { "delta.checkpointInterval": "4" } });
    await table.append(frameOf([sale(1, "N"), sale(2, "S")]));
    await table.append(frameOf([sale(3, "N")]));
    const merged = await table.merge(frameOf([sale(2, "S", 20), sale(4, "E")]), { keys: ["id"] });
    expect(merged.metrics).toMatchObject({ inserted: 1, updated: 1 });
    const withCheckpoint = await table.overwrite(frameOf([sale(5, "W"), sale(6, "W")]));
    expect(withCheckpoint.checkpoint?.version).toBe(4);
    await table.append(frameOf([sale(7, "N")]).withColumns(pl.lit("web").alias("channel")), {
      mergeSchema: true,
    });
    await table.delete(pl.col("id").eq(pl.lit("id-5")));
    expect(await expectSameEverywhere("plain")).toBe(6);
    const latest = await readWithDeltaRs(join(dir, "plain"));
    expect(latest.protocol).toEqual([1, 2]);
    expect(latest.rows.map((row) => row.id).sort()).toEqual(["id-6", "id-7"]);
    expect(latest.rows.find((row) => row.id === "id-7")?.channel).toBe("web");
  });

  it("partitioned with awkward values: merge, partition overwrite, delete; delta-rs reads from the checkpoint alone", async () => {
    const table = DeltaTable.forPath(store, "parts");
    await table.create({
      schema: frameOf([sale(0, "N")]),
      partitionColumns: ["region"],
      properties: { "delta.checkpointInterval": "3" },
    });
    await table.append(frameOf([sale(1, "a:b c"), sale(2, "x/y%z"), sale(3, null), sale(4, "é")]));
    await table.merge(frameOf([sale(1, "a:b c", 10), sale(5, "x/y%z")]), { keys: ["id", "region"] });
    await table.overwrite(frameOf([sale(6, "é")]), { partitions: { region: "é" } });
    await table.delete(pl.col("region").isNull());
    expect(await expectSameEverywhere("parts")).toBe(4);
    // Force delta-rs to rely on our checkpoint: copy the table without the commits it covers.
    const copy = join(dir, "parts-from-checkpoint");
    await cp(join(dir, "parts"), copy, { recursive: true });
    const copyStore = new LocalObjectStore(copy);
    for (const version of [0, 1, 2, 3]) await copyStore.delete(logKey("", versionFileName(version)));
    const fromCheckpoint = await readWithDeltaRs(copy);
    expect(sortedRows(fromCheckpoint.rows)).toEqual(sortedRows(await strataRows("parts")));
  });
});

describe("tables written by delta-rs, read (and written) by Strata", () => {
  it("reads every version identically, then appends and merges so delta-rs reads Strata's commits", async () => {
    const path = join(dir, "rs");
    const spec = (sales: Sale[]) => JSON.stringify({ columns: COLUMNS, rows: sales });
    await deltalake("write", path, "append", "region", spec([sale(1, "N"), sale(2, "S"), sale(3, null)]));
    await deltalake("write", path, "append", "region", spec([sale(4, "a:b c")]));
    await deltalake("merge", path, "id", spec([sale(2, "S", 200), sale(5, "N")]));
    await deltalake("delete", path, "qty = 1");
    await deltalake("checkpoint", path);
    await deltalake("write", path, "overwrite", "region", spec([sale(6, "W"), sale(7, "a:b c")]));
    expect(await expectSameEverywhere("rs")).toBe(4);
    const table = DeltaTable.forPath(store, "rs");
    await table.append(frameOf([sale(8, "N")]));
    const merged = await table.merge(frameOf([sale(7, "a:b c", 70), sale(9, null)]), { keys: ["id"] });
    expect(merged.metrics).toMatchObject({ inserted: 1, updated: 1, unchanged: 0 });
    expect(await expectSameEverywhere("rs")).toBe(6);
    expect((await readWithDeltaRs(path)).rows.map((row) => row.id).sort()).toEqual([
      "id-6",
      "id-7",
      "id-8",
      "id-9",
    ]);
  });
});
