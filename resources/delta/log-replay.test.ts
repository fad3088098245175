import { describe, expect, it } from "vitest";
import type { AddAction, DeletionVectorDescriptor } from "./actions.ts";
import type { LogAction } from "./log-actions.ts";
import { ReplayState } from "./log-replay.ts";

function add(path: string, modificationTime = 1, deletionVector?: DeletionVectorDescriptor): LogAction {
  const action: AddAction = {
    path,
    partitionValues: {},
    size: 1,
    modificationTime,
    dataChange: true,
    ...(deletionVector ? { deletionVector } : {}),
  };
  return { kind: "add", add: action };
}

function remove(path: string, deletionVector?: DeletionVectorDescriptor): LogAction {
  return {
    kind: "remove",
    remove: { path, dataChange: true, ...(deletionVector ? { deletionVector } : {}) },
  };
}

const DV: DeletionVectorDescriptor = {
  storageType: "u",
  pathOrInlineDv: "ab",
  offset: 1,
  sizeInBytes: 36,
  cardinality: 2,
};

describe("log replay", () => {
  it("keeps the newest action per file and re-adds a removed path", () => {
    const state = new ReplayState();
    state.apply([add("foo"), add("bar")]);
    state.apply([remove("foo")]);
    state.apply([add("foo", 1_700_000_000_000)]);
    expect(state.liveFiles().map((file) => [file.path, file.modificationTime])).toEqual([
      ["bar", 1],
      ["foo", 1_700_000_000_000],
    ]);
    expect(state.tombstones()).toEqual([]);
  });

  it("matches removes to adds by decoded path, whatever the encoding", () => {
    const state = new ReplayState();
    state.apply([add("special%20p@%23h")]);
    state.apply([remove("special p@#h")]);
    expect(state.liveFiles()).toEqual([]);
    expect(state.tombstones().map((tombstone) => tombstone.path)).toEqual(["special p@#h"]);
  });

  it("keys files by (path, deletion vector): attaching a DV is remove(path) + add(path, dv)", () => {
    const state = new ReplayState();
    state.apply([add("f")]);
    state.apply([remove("f"), add("f", 2, DV)]);
    expect(state.liveFiles().map((file) => file.deletionVector?.pathOrInlineDv)).toEqual(["ab"]);
    state.apply([remove("f")]); // removing (f, no DV) again leaves (f, DV) live
    expect(state.liveFiles()).toHaveLength(1);
  });

  it("keeps the newest protocol, metadata and txn per appId, and commitInfo only of the last commit", () => {
    const state = new ReplayState();
    state.apply([
      { kind: "protocol", protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      { kind: "txn", txn: { appId: "a", version: 5 } },
      { kind: "txn", txn: { appId: "b", version: 1 } },
      { kind: "commitInfo", commitInfo: { operation: "WRITE" } },
    ]);
    state.apply([
      { kind: "protocol", protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [] } },
      { kind: "txn", txn: { appId: "a", version: 3 } },
    ]);
    expect(state.protocol?.minReaderVersion).toBe(3);
    // Delta does not assume txn versions grow: the newest action wins even if its version is lower.
    expect(state.txns().get("a")?.version).toBe(3);
    expect(state.txns().get("b")?.version).toBe(1);
    expect(state.commitInfo).toBeUndefined();
  });
});
