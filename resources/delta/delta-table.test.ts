import pl from "nodejs-polars";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import { versionFileName } from "./actions.ts";
import { logKey, serialiseActions } from "./commit.ts";
import { DeltaTable, whenSourceNewer } from "./delta-table.ts";
import { createTestStore } from "./testing/test-store.ts";

let store: ObjectStore;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ store, cleanup } = await createTestStore("strata-delta-"));
});
afterEach(async () => {
  await cleanup();
});

function sales(ids: number[], region: string, amount = 1, source = 1): pl.DataFrame {
  return pl.DataFrame({
    id: ids.map(String),
    region: ids.map(() => region),
    amount: ids.map(() => amount),
    source: ids.map(() => source),
  });
}

async function rows(table: DeltaTable, version?: number): Promise<Record<string, unknown>[]> {
  const frame = await table.read(version === undefined ? {} : { version });
  return frame.sort("id").toRecords();
}

async function objectCount(root: string): Promise<number> {
  let count = 0;
  for await (const _ of store.list(`${root}/`)) count++;
  return count;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<StrataError> {
  try {
    await promise;
  } catch (error) {
    if (StrataError.is(error) && error.code === code) return error;
    throw error;
  }
  throw new Error(`expected ${code}`);
}

describe("DeltaTable writes", () => {
  it("creates, appends, overwrites and time-travels", async () => {
    const table = DeltaTable.forPath(store, "t");
    expect(await table.exists()).toBe(false);
    expect(await table.create({ schema: sales([1], "N") })).toBe(0);
    expect(await table.exists()).toBe(true);
    await expectCode(table.create({ schema: sales([1], "N") }), "STRATA_ERR_DELTA_TABLE_EXISTS");
    const first = await table.append(sales([1, 2], "N"));
    expect(first).toMatchObject({ version: 1, skipped: false, filesAdded: 1, rowsWritten: 2 });
    await table.append(sales([3], "S"));
    expect((await rows(table)).map((row) => row.id)).toEqual(["1", "2", "3"]);
    const overwrite = await table.overwrite(sales([9], "W"));
    expect(overwrite).toMatchObject({ version: 3, filesAdded: 1, filesRemoved: 2 });
    expect((await rows(table)).map((row) => row.id)).toEqual(["9"]);
    expect((await rows(table, 2)).map((row) => row.id)).toEqual(["1", "2", "3"]);
  });

  it("overwrites only the partitions named by the predicate, refusing rows outside them", async () => {
    const table = DeltaTable.forPath(store, "p");
    await table.create({ schema: sales([1], "N"), partitionColumns: ["region"] });
    await table.append(pl.concat([sales([1, 2], "N"), sales([3], "S")]));
    const snapshot = await table.snapshot();
    expect(snapshot.files.map((file) => file.partitionValues.region).sort()).toEqual(["N", "S"]);
    await table.overwrite(sales([4], "N"), { partitions: { region: "N" } });
    expect((await rows(table)).map((row) => `${row.id}${row.region}`)).toEqual(["3S", "4N"]);
    await expectCode(
      table.overwrite(sales([5], "S"), { partitions: { region: "N" } }),
      "STRATA_ERR_DELTA_PARTITION_PREDICATE",
    );
    await expectCode(
      table.overwrite(sales([5], "S"), { partitions: { amount: 1 } }),
      "STRATA_ERR_DELTA_PARTITION_PREDICATE",
    );
  });

  it("merges on keys, rewriting only affected files, with an update condition", async () => {
    const table = DeltaTable.forPath(store, "m");
    await table.create({ schema: sales([1], "N"), partitionColumns: ["region"] });
    await table.append(sales([1, 2], "N", 10, 1));
    await table.append(sales([3], "S", 30, 1));
    const newer = ({ source, target }: import("./merge.ts").MergeColumns) =>
      source("source").gt(target("source"));
    // id 1 newer → update; id 2 older → unchanged; id 4 → insert. The S file is untouched.
    const source = pl.concat([sales([1], "N", 11, 2), sales([2], "N", 99, 0), sales([4], "N", 40, 1)]);
    const result = await table.merge(source, { keys: ["id", "region"], updateWhen: newer });
    expect(result.metrics).toEqual({ inserted: 1, updated: 1, unchanged: 1, filesAdded: 1, filesRemoved: 1 });
    expect((await rows(table)).map((row) => [row.id, row.amount])).toEqual([
      ["1", 11],
      ["2", 10],
      ["3", 30],
      ["4", 40],
    ]);
    // Replaying the same batch changes nothing and commits nothing.
    const replay = await table.merge(source, { keys: ["id", "region"], updateWhen: newer });
    expect(replay).toMatchObject({ skipped: true, reason: "nothing to change", version: result.version });
    expect(replay.metrics).toMatchObject({
      inserted: 0,
      updated: 0,
      unchanged: 3,
      filesAdded: 0,
      filesRemoved: 0,
    });
    await expectCode(
      table.merge(pl.concat([sales([7], "N"), sales([7], "N")]), { keys: ["id", "region"] }),
      "STRATA_ERR_DELTA_DUPLICATE_SOURCE_KEY",
    );
  });

  it("updates only rows whose source is newer by (time, offset), like a tuple comparison", async () => {
    const table = DeltaTable.forPath(store, "nw");
    const at = (id: string, time: number, offset: number | null) =>
      pl.DataFrame({ id: [id], time: [time], offset: [offset], value: [`${time}/${offset}`] });
    await table.create({ schema: at("a", 0, 0) });
    await table.append(pl.concat([at("a", 5, 5), at("b", 5, 5), at("c", 5, 5), at("d", 5, 5)]));
    const incoming = pl.concat([at("a", 6, 0), at("b", 5, 6), at("c", 5, 5), at("d", 5, null)]);
    const result = await table.merge(incoming, {
      keys: ["id"],
      updateWhen: whenSourceNewer("time", "offset"),
    });
    expect(result.metrics).toMatchObject({ updated: 2, unchanged: 2, inserted: 0 });
    expect((await rows(table)).map((row) => row.value)).toEqual(["6/0", "5/6", "5/5", "5/5"]);
  });

  it("evolves the schema through a merge with mergeSchema", async () => {
    const table = DeltaTable.forPath(store, "ms");
    await table.create({ schema: sales([1], "N") });
    await table.append(sales([1, 2], "N"));
    const source = sales([2, 3], "N", 5).withColumns(pl.lit("web").alias("channel"));
    await expectCode(table.merge(source, { keys: ["id"] }), "STRATA_ERR_DELTA_SCHEMA_MISMATCH");
    const result = await table.merge(source, { keys: ["id"], mergeSchema: true });
    expect(result.metrics).toMatchObject({ inserted: 1, updated: 1 });
    expect((await rows(table)).map((row) => [row.id, row.amount, row.channel])).toEqual([
      ["1", 1, null],
      ["2", 5, "web"],
      ["3", 5, "web"],
    ]);
  });

  it("deletes by predicate, removing whole files when every row matches", async () => {
    const table = DeltaTable.forPath(store, "d");
    await table.create({ schema: sales([1], "N") });
    await table.append(sales([1, 2], "N"));
    await table.append(sales([3], "S"));
    const partial = await table.delete(pl.col("id").eq(pl.lit("1")));
    expect(partial).toMatchObject({ rowsDeleted: 1, filesRemoved: 1, filesAdded: 1 });
    const whole = await table.delete(pl.col("region").eq(pl.lit("S")));
    expect(whole).toMatchObject({ rowsDeleted: 1, filesRemoved: 1, filesAdded: 0 });
    expect((await rows(table)).map((row) => row.id)).toEqual(["2"]);
  });

  it("is idempotent per txn appId and version", async () => {
    const table = DeltaTable.forPath(store, "x");
    await table.create({ schema: sales([1], "N") });
    const first = await table.append(sales([1], "N"), { txn: { appId: "loader", version: 5 } });
    expect(first.skipped).toBe(false);
    const again = await table.append(sales([1], "N"), { txn: { appId: "loader", version: 5 } });
    expect(again.skipped).toBe(true);
    expect(again.reason).toContain("already committed version 5");
    expect((await table.snapshot()).txnVersion("loader")).toBe(5);
    expect(await rows(table)).toHaveLength(1);
  });
});

describe("DeltaTable schema rules", () => {
  it("refuses a conflicting frame with a coded error and commits nothing", async () => {
    const table = DeltaTable.forPath(store, "s");
    await table.create({ schema: sales([1], "N") });
    await table.append(sales([1], "N"));
    const before = await objectCount("s");
    const extra = sales([2], "N").withColumns(pl.lit("x").alias("surprise"));
    await expectCode(table.append(extra), "STRATA_ERR_DELTA_SCHEMA_MISMATCH");
    const retyped = sales([2], "N").withColumns(pl.col("amount").cast(pl.Utf8));
    const error = await expectCode(table.append(retyped), "STRATA_ERR_DELTA_TYPE_CHANGE");
    expect(error.message).toContain('"amount"');
    expect((await table.snapshot()).version).toBe(1);
    expect(await objectCount("s")).toBe(before); // no data file was written either
  });

  it("adds a nullable column with mergeSchema, old rows reading null", async () => {
    const table = DeltaTable.forPath(store, "e");
    await table.create({ schema: sales([1], "N") });
    await table.append(sales([1], "N"));
    const wider = sales([2], "N").withColumns(pl.lit("web").alias("channel"));
    await table.append(wider, { mergeSchema: true });
    expect((await rows(table)).map((row) => row.channel)).toEqual([null, "web"]);
    const snapshot = await table.snapshot();
    expect(snapshot.metadata.schemaString).toContain('"channel"');
  });

  it("enforces NOT NULL and delta.invariants, and delta.appendOnly", async () => {
    const table = DeltaTable.forPath(store, "i");
    const schema = {
      type: "struct" as const,
      fields: [
        { name: "id", type: "string", nullable: false, metadata: {} },
        {
          name: "qty",
          type: "long",
          nullable: true,
          metadata: { "delta.invariants": JSON.stringify({ expression: { expression: "qty > 0" } }) },
        },
      ],
    };
    await table.create({ schema, properties: { "delta.appendOnly": "true" } });
    const good = pl.DataFrame({ id: ["a"], qty: [1] }).withColumns(pl.col("qty").cast(pl.Int64));
    await table.append(good);
    await expectCode(
      table.append(pl.DataFrame({ id: [null, "b"], qty: [1, 2] }).withColumns(pl.col("qty").cast(pl.Int64))),
      "STRATA_ERR_DELTA_INVARIANT_VIOLATED",
    );
    await expectCode(
      table.append(pl.DataFrame({ id: ["b"], qty: [0] }).withColumns(pl.col("qty").cast(pl.Int64))),
      "STRATA_ERR_DELTA_INVARIANT_VIOLATED",
    );
    await expectCode(table.overwrite(good), "STRATA_ERR_DELTA_APPEND_ONLY");
    await expectCode(table.delete(pl.col("id").eq(pl.lit("a"))), "STRATA_ERR_DELTA_APPEND_ONLY");
    expect((await table.snapshot()).version).toBe(1);
  });

  it("refuses tables whose writer features it does not implement", async () => {
    const table = DeltaTable.forPath(store, "f");
    await table.create({ schema: sales([1], "N") });
    const upgrade = {
      protocol: {
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: [],
        writerFeatures: ["appendOnly", "rowTracking"],
      },
    };
    await store.putIfAbsent(logKey("f", versionFileName(1)), serialiseActions([upgrade]));
    const error = await expectCode(table.append(sales([1], "N")), "STRATA_ERR_DELTA_UNSUPPORTED_WRITER");
    expect(error.message).toContain("rowTracking");
    expect((await table.snapshot()).version).toBe(1);
  });
});

describe("DeltaTable maintenance", () => {
  it("checkpoints every delta.checkpointInterval commits and reads through the checkpoint", async () => {
    const table = DeltaTable.forPath(store, "c");
    await table.create({ schema: sales([1], "N"), properties: { "delta.checkpointInterval": "3" } });
    await table.append(sales([1], "N"), { txn: { appId: "app", version: 1 } });
    await table.append(sales([2], "N"));
    const third = await table.append(sales([3], "N"));
    expect(third.checkpoint).toMatchObject({ version: 3, numOfAddFiles: 3 });
    const pointer = JSON.parse(new TextDecoder().decode(await store.get("c/_delta_log/_last_checkpoint")));
    expect(pointer).toMatchObject({ version: 3, size: 6 });
    // Remove the JSON commits the checkpoint covers: the table must still load from it.
    for (const v of [0, 1, 2, 3]) await store.delete(logKey("c", versionFileName(v)));
    await table.append(sales([4], "N"));
    expect((await rows(table)).map((row) => row.id)).toEqual(["1", "2", "3", "4"]);
    expect((await table.snapshot()).txnVersion("app")).toBe(1);
  });

  it("optimizes small files per partition with dataChange false, then vacuums with a retention check", async () => {
    const table = DeltaTable.forPath(store, "o");
    await table.create({ schema: sales([1], "N"), partitionColumns: ["region"] });
    for (const id of [1, 2, 3]) await table.append(sales([id], "N"));
    await table.append(sales([4], "S"));
    const optimized = await table.optimize();
    expect(optimized).toMatchObject({ filesAdded: 1, filesRemoved: 3 });
    const log = new TextDecoder().decode(await store.get(logKey("o", versionFileName(optimized.version))));
    expect(log).toContain('"operation":"OPTIMIZE"');
    expect(log).not.toContain('"dataChange":true');
    expect((await rows(table)).map((row) => row.id)).toEqual(["1", "2", "3", "4"]);
    await expectCode(table.vacuum({ retentionHours: 1 }), "STRATA_ERR_DELTA_RETENTION_TOO_SHORT");
    expect((await table.vacuum()).files).toEqual([]);
    const forced = await table.vacuum({ retentionHours: 0, force: true, now: Date.now() + 1000 });
    expect(forced.files).toHaveLength(3);
    expect((await rows(table)).map((row) => row.id)).toEqual(["1", "2", "3", "4"]);
  });
});
