import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import { type AddAction, versionFileName } from "./actions.ts";
import { commitTransaction, logKey, parseCommit } from "./commit.ts";
import { createTestStore } from "./testing/test-store.ts";

let store: ObjectStore;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ store, cleanup } = await createTestStore("strata-commit-"));
  await commitTransaction(store, "t", {
    readVersion: -1,
    actions: [{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }, { metaData: metadata("{}") }],
    operation: "CREATE TABLE",
  });
});
afterEach(async () => {
  await cleanup();
});

function metadata(schemaString: string) {
  return {
    id: "id-1",
    format: { provider: "parquet", options: {} },
    schemaString,
    partitionColumns: [],
    configuration: {},
  };
}

function add(path: string, partition = "a"): AddAction {
  return { path, partitionValues: { p: partition }, size: 1, modificationTime: 1, dataChange: true };
}

async function conflictOf(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (error) {
    if (StrataError.is(error, "STRATA_ERR_DELTA_CONCURRENT_MODIFICATION")) return error;
    throw error;
  }
  throw new Error("expected a concurrent-modification error");
}

describe("commitTransaction", () => {
  it("never overwrites a version: creating the table twice is refused", async () => {
    await expect(
      commitTransaction(store, "t", { readVersion: -1, actions: [], operation: "CREATE TABLE" }),
    ).rejects.toSatisfy((error) => StrataError.is(error, "STRATA_ERR_DELTA_TABLE_EXISTS"));
  });

  it("rebases a blind append over concurrent appends", async () => {
    await commitTransaction(store, "t", {
      readVersion: 0,
      actions: [{ add: add("one.parquet") }],
      operation: "WRITE",
    });
    await commitTransaction(store, "t", {
      readVersion: 0,
      actions: [{ add: add("two.parquet") }],
      operation: "WRITE",
    });
    const mine = await commitTransaction(store, "t", {
      readVersion: 0,
      actions: [{ add: add("three.parquet") }],
      operation: "WRITE",
    });
    expect(mine).toMatchObject({ version: 3, rebasedOver: 2 });
    const actions = parseCommit(await store.get(logKey("t", versionFileName(3))));
    expect(actions[0]?.commitInfo).toMatchObject({ operation: "WRITE", readVersion: 0, isBlindAppend: true });
    expect(String(JSON.stringify(actions[0]))).toContain('"engineInfo":"strata/');
  });

  it("fails when a concurrent commit removed a file this one read or rewrote", async () => {
    await commitTransaction(store, "t", {
      readVersion: 0,
      actions: [{ add: add("x%20y.parquet") }],
      operation: "WRITE",
    });
    await commitTransaction(store, "t", {
      readVersion: 1,
      actions: [{ remove: { path: "x%20y.parquet", dataChange: true } }],
      operation: "DELETE",
    });
    const error = await conflictOf(
      commitTransaction(store, "t", {
        readVersion: 1,
        actions: [{ add: add("z.parquet") }],
        operation: "MERGE",
        readFiles: new Set(["x y.parquet"]),
      }),
    );
    expect(error.message).toContain('"x y.parquet"');
    expect(error.details).toMatchObject({ readVersion: 1, winningVersion: 2 });
  });

  it("fails on a concurrent metadata change and on a concurrent add that may hold rows it depends on", async () => {
    await commitTransaction(store, "t", {
      readVersion: 0,
      actions: [{ metaData: metadata('{"v":2}') }],
      operation: "SET TBLPROPERTIES",
    });
    await conflictOf(
      commitTransaction(store, "t", {
        readVersion: 0,
        actions: [{ add: add("a.parquet") }],
        operation: "WRITE",
      }),
    );
    await commitTransaction(store, "t", {
      readVersion: 1,
      actions: [{ add: add("b.parquet", "b") }],
      operation: "WRITE",
    });
    const mergeLike = {
      readVersion: 1,
      actions: [{ add: add("c.parquet") }],
      operation: "MERGE",
      conflictsWithAdd: (candidate: AddAction) => candidate.partitionValues.p === "b",
    };
    await conflictOf(commitTransaction(store, "t", mergeLike));
    // The same merge against partition "a" only commutes with the append to "b".
    const commuting = {
      ...mergeLike,
      conflictsWithAdd: (candidate: AddAction) => candidate.partitionValues.p === "a",
    };
    expect((await commitTransaction(store, "t", commuting)).version).toBe(3);
  });

  it("fails when another commit recorded the same txn appId", async () => {
    await commitTransaction(store, "t", {
      readVersion: 0,
      actions: [{ txn: { appId: "job", version: 1 } }],
      operation: "WRITE",
    });
    await conflictOf(
      commitTransaction(store, "t", {
        readVersion: 0,
        actions: [{ txn: { appId: "job", version: 1 } }],
        operation: "WRITE",
      }),
    );
  });
});
