/**
 * The merge key index: a merge reads only the data files that hold source keys, and a stale or
 * partial index never changes a merge's result (writers that do not share it, evictions, files it
 * cannot index, rewritten and removed files).
 */
import pl from "nodejs-polars";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ObjectStore } from "../object-store/object-store.ts";
import { commitTransaction } from "./commit.ts";
import { DeltaTable, whenSourceNewer } from "./delta-table.ts";
import { hashKeyRows, keyRows } from "./key-hashes.ts";
import { clearKeyIndex, keyIndexSize, rowsWithKeys, setKeyIndexBudget, sourceKeysOf } from "./key-index.ts";
import { RemoteLikeStore } from "./testing/remote-like-store.ts";
import { createTestStore } from "./testing/test-store.ts";

/** Delegates to a store and counts reads of data files (not of the log); never offers a local path. */
class CountingStore extends RemoteLikeStore {
  dataReads = 0;
  override get(key: string): Promise<Uint8Array> {
    if (!key.includes("_delta_log/")) this.dataReads++;
    return super.get(key);
  }
}

let base: ObjectStore;
let cleanup: () => Promise<void>;
let budget: number | undefined;

beforeEach(async () => {
  ({ store: base, cleanup } = await createTestStore("strata-key-index-"));
});
afterEach(async () => {
  if (budget !== undefined) setKeyIndexBudget(budget);
  budget = undefined;
  await cleanup();
});

/** Deterministic pseudo-random order ids: every file's min/max spans the whole key range. */
function orderId(n: number): string {
  return `${["CA", "US", "DE", "FR"][n % 4]}-${(n * 7919) % 100_003}`;
}

function lines(ids: readonly number[], version: number): pl.DataFrame {
  return pl.DataFrame({
    order_id: ids.map(orderId),
    product_id: ids.map((id) => `P-${id % 3}`),
    version: ids.map(() => version),
    value: ids.map((id) => `${String(id).padStart(4, "0")}@${String(version).padStart(2, "0")}`),
  });
}

async function contents(table: DeltaTable): Promise<Map<string, string>> {
  const rows = (await table.read()).toRecords();
  const byKey = new Map<string, string>();
  for (const row of rows) {
    const key = `${String(row.order_id)}/${String(row.product_id)}`;
    expect(byKey.has(key), `duplicate key ${key}`).toBe(false);
    byKey.set(key, String(row.value));
  }
  return byKey;
}

const newer = whenSourceNewer("version");

describe("merge key index", () => {
  it("reads only the data files holding source keys, however the stats overlap", async () => {
    const store = new CountingStore(base);
    const table = DeltaTable.forPath(store, "sales");
    await table.create({ schema: lines([0], 0) });
    for (let f = 0; f < 12; f++) {
      await table.append(lines([f * 10, f * 10 + 1, f * 10 + 2, f * 10 + 3], 1));
    }
    // Cold: the key columns of all 12 files, then the one file holding order 51 in full.
    store.dataReads = 0;
    const first = await table.merge(lines([51, 1000, 1001], 2), { keys: ["order_id", "product_id"] });
    expect(first.metrics).toMatchObject({ inserted: 2, updated: 1, filesRemoved: 1, filesAdded: 1 });
    expect(store.dataReads).toBe(12 + 1);
    // Warm: only the merge's own new file is indexed, and the file holding order 72 read.
    store.dataReads = 0;
    const second = await table.merge(lines([72], 3), { keys: ["order_id", "product_id"] });
    expect(second.metrics).toMatchObject({ inserted: 0, updated: 1 });
    expect(store.dataReads).toBe(1 + 1);
    // New keys only: no data file read at all.
    store.dataReads = 0;
    const third = await table.merge(lines([2000, 2001], 4), { keys: ["order_id", "product_id"] });
    expect(third.metrics).toMatchObject({ inserted: 2, updated: 0, filesRemoved: 0 });
    expect(store.dataReads).toBe(1);
    const rows = await contents(table);
    expect(rows.size).toBe(48 + 2 + 2);
    expect(rows.get(`${orderId(51)}/P-0`)).toBe("0051@02");
    expect(rows.get(`${orderId(72)}/P-0`)).toBe("0072@03");
  });

  it("gives the same result as a full scan while other writers rewrite, delete and compact", async () => {
    budget = setKeyIndexBudget(40);
    // Two handles on the same table that do not share an index, like two processes.
    const a = DeltaTable.forPath(new CountingStore(base), "t");
    const b = DeltaTable.forPath(base, "t");
    await a.create({ schema: lines([0], 0) });
    const model = new Map<string, string>();
    const apply = (frame: pl.DataFrame) => {
      for (const row of frame.toRecords()) {
        const key = `${String(row.order_id)}/${String(row.product_id)}`;
        const at = model.get(key);
        if (at === undefined || Number(at.split("@")[1]) < Number(row.version))
          model.set(key, String(row.value));
      }
    };
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 1; round <= 20; round++) {
      const writer = random(2) === 0 ? a : b;
      const op = round % 5;
      if (op === 3) {
        const victim = orderId(random(40));
        await writer.delete(pl.col("order_id").eq(pl.lit(victim)));
        for (const key of [...model.keys()]) if (key.startsWith(`${victim}/`)) model.delete(key);
      } else if (op === 4) {
        await writer.optimize();
      } else {
        const ids = [...new Set(Array.from({ length: 6 }, () => random(40)))];
        const batch = lines(ids, round);
        await writer.merge(batch, { keys: ["order_id", "product_id"], updateWhen: newer });
        apply(batch);
      }
      expect(Object.fromEntries(await contents(a))).toEqual(Object.fromEntries(model));
    }
    expect(keyIndexSize(base)).toBeLessThanOrEqual(80);
  });

  it("reads whole the files it cannot index: a key column added later, non-indexable key types", async () => {
    const table = DeltaTable.forPath(base, "evolved");
    await table.create({ schema: pl.DataFrame({ id: ["a"], v: [1] }) });
    await table.append(pl.DataFrame({ id: ["a", "b"], v: [1, 2] }));
    await table.append(pl.DataFrame({ id: ["c"], v: [3], k: ["x"] }), { mergeSchema: true });
    const merged = await table.merge(pl.DataFrame({ id: ["a", "c"], v: [10, 30], k: ["y", "x"] }), {
      keys: ["id", "k"],
    });
    expect(merged.metrics).toMatchObject({ inserted: 1, updated: 1 });
    const rows = (await table.read()).sort(["id", "k"]).toRecords();
    expect(rows.map((row) => [row.id, row.k, row.v])).toEqual([
      ["a", null, 1],
      ["a", "y", 10],
      ["b", null, 2],
      ["c", "x", 30],
    ]);

    const timed = DeltaTable.forPath(base, "timed");
    const at = (ms: number[], v: number) =>
      pl.DataFrame({
        t: pl.Series(
          "t",
          ms.map((m) => new Date(m)),
          pl.Datetime("us", "UTC"),
        ),
        v: ms.map(() => v),
      });
    await timed.create({ schema: at([0], 0) });
    await timed.append(at([1000, 2000], 1));
    await timed.append(at([3000], 1));
    const result = await timed.merge(at([2000, 4000], 2), { keys: ["t"] });
    expect(result.metrics).toMatchObject({ inserted: 1, updated: 1 });
    expect((await timed.read()).sort("t").getColumn("v").toArray()).toEqual([1, 2, 1, 2]);
  });

  it("reads whole a file whose key column is stored with another physical type", async () => {
    // Another writer stored the string key `id` as Int64: polars casts 5 to "5" on read, so the
    // file holds source key "5" although its raw values would not hash like it.
    const table = DeltaTable.forPath(base, "foreign");
    await table.create({ schema: pl.DataFrame({ id: ["a"], v: ["x"] }) });
    const body = pl
      .DataFrame([pl.Series("id", [5, 6], pl.Int64), pl.Series("v", ["old", "old"])])
      .writeParquet();
    await base.put("foreign/part-foreign.parquet", body);
    const add = {
      path: "part-foreign.parquet",
      partitionValues: {},
      size: body.byteLength,
      modificationTime: Date.now(),
      dataChange: true,
    };
    await commitTransaction(base, "foreign", { readVersion: 0, actions: [{ add }], operation: "WRITE" });
    const merged = await table.merge(pl.DataFrame({ id: ["5", "7"], v: ["new", "new"] }), { keys: ["id"] });
    expect(merged.metrics).toMatchObject({ inserted: 1, updated: 1 });
    expect((await table.read()).sort("id").rows()).toEqual([
      ["5", "new"],
      ["6", "old"],
      ["7", "new"],
    ]);
  });

  it("prunes by partition values only where their log form is comparable (a date key is not)", async () => {
    const table = DeltaTable.forPath(base, "dated");
    const rows = (ids: string[], v: number) =>
      pl.DataFrame([
        pl.Series("id", ids),
        pl.Series(
          "day",
          ids.map(() => new Date(Date.UTC(2024, 0, 2))),
          pl.Date,
        ),
        pl.Series(
          "n",
          ids.map(() => 7),
          pl.Int64,
        ),
        pl.Series(
          "v",
          ids.map(() => v),
        ),
      ]);
    await table.create({ schema: rows(["a"], 0), partitionColumns: ["day", "n"] });
    await table.append(rows(["a", "b"], 1));
    const merged = await table.merge(rows(["a", "c"], 2), { keys: ["id", "day", "n"] });
    expect(merged.metrics).toMatchObject({ inserted: 1, updated: 1 });
    expect((await table.read()).sort("id").getColumn("v").toArray()).toEqual([2, 1, 2]);
  });

  it("fails a merge on a missing data file instead of skipping it", async () => {
    const table = DeltaTable.forPath(base, "gone");
    await table.create({ schema: lines([0], 0) });
    await table.append(lines([1, 2], 1));
    const [file] = (await table.snapshot()).files;
    if (file === undefined) throw new Error("no file");
    await base.delete(`gone/${decodeURIComponent(file.path)}`);
    clearKeyIndex(base);
    await expect(table.merge(lines([1], 2), { keys: ["order_id", "product_id"] })).rejects.toThrow();
  });

  it("encodes integers of every width alike and tells known keys from new ones", async () => {
    // Through strings: nodejs-polars builds an all-null UInt64 series from JS numbers.
    const values = ["1", "9007199254740993", null];
    const widths = [pl.Int32, pl.Int64, pl.UInt64].map((dtype) => {
      const k = pl.Series("k", dtype === pl.Int32 ? ["1", "7", null] : values).cast(dtype);
      return hashKeyRows(keyRows(pl.DataFrame([k, pl.Series("s", ["a", "b", "c"])]), ["k", "s"]));
    });
    expect(widths[0]?.[0]).toBe(widths[1]?.[0]);
    expect(widths[2]).toEqual(widths[1]);

    const table = DeltaTable.forPath(base, "known");
    const ids = (id: number[], v: string[]) =>
      pl.DataFrame([pl.Series("id", id, pl.Int64), pl.Series("v", v)]);
    await table.create({ schema: ids([1], ["x"]) });
    await table.append(ids([1, 2], ["a", "b"]));
    await table.append(ids([3], ["c"]));
    const snapshot = await table.snapshot();
    const layout = { store: base, root: "known", schema: snapshot.schema, partitionColumns: [] };
    const source = ids([3, 4, 1], ["", "", ""]);
    const keys = sourceKeysOf(layout, source, ["id"]);
    if (keys === undefined) throw new Error("id is indexable");
    expect(await rowsWithKeys(layout, snapshot.files, keys)).toEqual([true, false, true]);
  });
});
