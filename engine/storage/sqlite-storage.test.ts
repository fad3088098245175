import { describe, expect, test } from "vitest";
import type { BackfillRecord, RunRecord } from "./records.ts";
import { openStorage as open, registerCleanup, makeRun as run, tempFile } from "./sqlite-storage.fixtures.ts";

registerCleanup();

const sensorRun = (runId: string, runKey: string, sensor = "s"): RunRecord =>
  run(runId, { origin: { kind: "sensor", name: sensor }, runKey });

describe("SQLite run storage: runs", () => {
  test("a run with every field round-trips; absent optional fields stay absent", async () => {
    const storage = open();
    const full = run("full", {
      status: "failure",
      partition: "2024-01-01",
      partitionRange: { from: "2024-01-01", to: "2024-01-31" },
      backfillId: "b1",
      origin: { kind: "schedule", name: "nightly" },
      runKey: "k1",
      startedAt: 1100,
      endedAt: 1200,
      error: "boom",
    });
    await storage.createRun(full);
    await storage.createRun(run("bare"));
    expect(await storage.getRun("full")).toEqual(full);
    const bare = await storage.getRun("bare");
    expect(bare).toEqual(run("bare"));
    expect(Object.keys(bare ?? {}).sort()).toEqual(
      ["assetKeys", "createdAt", "runId", "selection", "status", "tags"].sort(),
    );
    expect(await storage.getRun("nope")).toBeUndefined();
  });

  test("updateRun patches, keeps indexed columns in step, and clears fields set to undefined", async () => {
    const storage = open();
    await storage.createRun(run("r1", { error: "old" }));
    const updated = await storage.updateRun("r1", {
      status: "success",
      endedAt: 2000,
      error: undefined,
      assetKeys: ["b/z"],
    });
    expect(updated).toEqual(run("r1", { status: "success", endedAt: 2000, assetKeys: ["b/z"] }));
    expect("error" in updated).toBe(false);
    expect(await storage.getRun("r1")).toEqual(updated);
    expect((await storage.listRuns({ statuses: ["success"] })).map((r) => r.runId)).toEqual(["r1"]);
    expect(await storage.listRuns({ assetKey: "a/x" })).toEqual([]);
    expect((await storage.listRuns({ assetKey: "b/z" })).map((r) => r.runId)).toEqual(["r1"]);
    await expect(storage.updateRun("nope", {})).rejects.toThrow(/STRATA_ERR_UNKNOWN_RUN/);
  });

  test("listRuns filters by status, asset and backfill, newest first, and pages", async () => {
    const storage = open();
    await storage.createRun(run("r1", { backfillId: "b1" }));
    await storage.createRun(run("r2", { assetKeys: ["b/z"], status: "started" }));
    await storage.createRun(run("r3", { backfillId: "b1", status: "success" }));
    const ids = (runs: RunRecord[]) => runs.map((r) => r.runId);
    expect(ids(await storage.listRuns())).toEqual(["r3", "r2", "r1"]);
    expect(ids(await storage.listRuns({ statuses: ["queued", "started"] }))).toEqual(["r2", "r1"]);
    expect(ids(await storage.listRuns({ assetKey: "b/z" }))).toEqual(["r2"]);
    expect(ids(await storage.listRuns({ backfillId: "b1" }))).toEqual(["r3", "r1"]);
    expect(ids(await storage.listRuns({ limit: 2 }))).toEqual(["r3", "r2"]);
    expect(ids(await storage.listRuns({ beforeRunId: "r2" }))).toEqual(["r1"]);
    expect(ids(await storage.listRuns({ statuses: [] }))).toEqual(["r3", "r2", "r1"]);
  });

  test("claimRun moves queued to started exactly once, even across two connections", async () => {
    const storage = open();
    await storage.createRun(run("r1"));
    expect(await storage.claimRun("r1", 5)).toBe(true);
    expect(await storage.claimRun("r1", 6)).toBe(false);
    expect(await storage.getRun("r1")).toEqual(run("r1", { status: "started", startedAt: 5 }));
    expect(await storage.claimRun("missing", 7)).toBe(false);

    const file = tempFile();
    const [a, b] = [open(file), open(file)];
    for (let i = 0; i < 20; i++) await a.createRun(run(`q${i}`));
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) => [a.claimRun(`q${i}`, i), b.claimRun(`q${i}`, i)]).flat(),
    );
    expect(claims.filter(Boolean)).toHaveLength(20);
    for (let i = 0; i < 20; i++) expect(claims[2 * i] !== claims[2 * i + 1]).toBe(true);
    expect(await b.listRuns({ statuses: ["queued"] })).toEqual([]);
  });

  test("createRun refuses a second run with the same origin and run key", async () => {
    const storage = open();
    await storage.createRun(sensorRun("r1", "k"));
    await expect(storage.createRun(sensorRun("r2", "k"))).rejects.toThrow(/STRATA_ERR_STORAGE/);
    await storage.createRun(sensorRun("r3", "k", "other")); // keys are scoped by origin name
    expect(await storage.getRun("r2")).toBeUndefined();
  });
});

describe("SQLite run storage: instigator state", () => {
  test("cursors are set, overwritten and read back", async () => {
    const storage = open();
    expect(await storage.getCursor("sensor:s")).toBeUndefined();
    await storage.setCursor("sensor:s", "1");
    await storage.setCursor("sensor:s", "2");
    expect(await storage.getCursor("sensor:s")).toBe("2");
  });

  test("ticks round-trip newest first, per instigator", async () => {
    const storage = open();
    const added = await storage.addTick({
      kind: "schedule",
      name: "nightly",
      timestamp: 10,
      status: "failed",
      runIds: [],
      error: "cron exploded",
    });
    await storage.addTick({
      kind: "schedule",
      name: "nightly",
      timestamp: 20,
      status: "requested",
      runIds: ["r"],
    });
    await storage.addTick({ kind: "sensor", name: "nightly", timestamp: 30, status: "skipped", runIds: [] });
    expect(added).toEqual({
      id: added.id,
      kind: "schedule",
      name: "nightly",
      timestamp: 10,
      status: "failed",
      runIds: [],
      error: "cron exploded",
    });
    const ticks = await storage.listTicks("schedule", "nightly");
    expect(ticks.map((t) => t.timestamp)).toEqual([20, 10]);
    expect(ticks[1]).toEqual(added);
    expect(await storage.listTicks("schedule", "nightly", 1)).toHaveLength(1);
  });

  test("a sensor tick commits its runs, cursor and tick; run keys already used are dropped", async () => {
    const storage = open();
    const first = await storage.commitSensorTick({
      sensorName: "s",
      timestamp: 1,
      runs: [sensorRun("r1", "a")],
      cursor: "c1",
      status: "requested",
    });
    expect(first).toEqual({
      id: first.id,
      kind: "sensor",
      name: "s",
      timestamp: 1,
      status: "requested",
      runIds: ["r1"],
      cursor: "c1",
    });
    // "a" was used by the first commit, "b" appears twice in this one: only r3 is new
    const second = await storage.commitSensorTick({
      sensorName: "s",
      timestamp: 2,
      runs: [sensorRun("r2", "a"), sensorRun("r3", "b"), sensorRun("r4", "b")],
      cursor: "c2",
      status: "requested",
    });
    expect(second.runIds).toEqual(["r3"]);
    expect(await storage.getRun("r2")).toBeUndefined();
    expect(await storage.getRun("r4")).toBeUndefined();
    expect(await storage.getRun("r3")).toEqual(sensorRun("r3", "b"));
    expect([...(await storage.runKeysSeen("s", ["a", "b", "c"]))].sort()).toEqual(["a", "b"]);
    expect(await storage.runKeysSeen("other", ["a"])).toEqual(new Set());
    expect(await storage.getCursor("sensor:s")).toBe("c2");

    const third = await storage.commitSensorTick({
      sensorName: "s",
      timestamp: 3,
      runs: [sensorRun("r5", "a")],
      status: "requested",
    });
    expect(third).toMatchObject({
      status: "skipped",
      runIds: [],
      skipReason: "every run key was already requested",
    });
    expect(await storage.getCursor("sensor:s")).toBe("c2"); // no cursor given: unchanged
    expect((await storage.listTicks("sensor", "s")).map((t) => t.timestamp)).toEqual([3, 2, 1]);
  });

  test("a sensor tick that fails part-way writes nothing: no runs, no cursor, no tick", async () => {
    const storage = open();
    await storage.commitSensorTick({
      sensorName: "s",
      timestamp: 1,
      runs: [],
      cursor: "c1",
      status: "skipped",
    });
    await storage.createRun(run("taken"));
    // the second run reuses an existing run id: its insert violates the primary key
    await expect(
      storage.commitSensorTick({
        sensorName: "s",
        timestamp: 2,
        runs: [sensorRun("fresh", "k1"), sensorRun("taken", "k2")],
        cursor: "c2",
        status: "requested",
      }),
    ).rejects.toThrow(/STRATA_ERR_STORAGE/);
    expect(await storage.getCursor("sensor:s")).toBe("c1");
    expect(await storage.getRun("fresh")).toBeUndefined();
    expect(await storage.runKeysSeen("s", ["k1", "k2"])).toEqual(new Set());
    expect((await storage.listTicks("sensor", "s")).map((t) => t.timestamp)).toEqual([1]);
  });

  test("a failed or skipped tick keeps its own status and reason", async () => {
    const storage = open();
    const failed = await storage.commitSensorTick({
      sensorName: "s",
      timestamp: 1,
      runs: [],
      status: "failed",
      error: "sensor threw",
    });
    expect(failed).toMatchObject({ status: "failed", error: "sensor threw", runIds: [] });
    expect("skipReason" in failed).toBe(false);
    const skipped = await storage.commitSensorTick({
      sensorName: "s",
      timestamp: 2,
      runs: [],
      status: "skipped",
      skipReason: "no new files",
    });
    expect(skipped).toMatchObject({ status: "skipped", skipReason: "no new files" });
  });
});

describe("SQLite run storage: backfills", () => {
  const backfill: BackfillRecord = {
    backfillId: "b1",
    status: "requested",
    selection: "daily/*",
    assetKeys: ["daily/a"],
    partitions: ["2024-01-01", "2024-01-02", "2024-01-03"],
    completed: [],
    failed: [],
    createdAt: 100,
  };

  test("round-trip, update and list newest first", async () => {
    const storage = open();
    await storage.createBackfill(backfill);
    await storage.createBackfill({ ...backfill, backfillId: "b2", createdAt: 200 });
    expect(await storage.getBackfill("b1")).toEqual(backfill);
    const updated = await storage.updateBackfill("b1", {
      status: "completed",
      completed: ["2024-01-01", "2024-01-02"],
      failed: ["2024-01-03"],
      endedAt: 300,
    });
    expect(updated).toEqual({
      ...backfill,
      status: "completed",
      completed: ["2024-01-01", "2024-01-02"],
      failed: ["2024-01-03"],
      endedAt: 300,
    });
    expect(await storage.getBackfill("b1")).toEqual(updated);
    expect((await storage.listBackfills()).map((b) => b.backfillId)).toEqual(["b2", "b1"]);
    expect(await storage.listBackfills(1)).toHaveLength(1);
    expect(await storage.getBackfill("nope")).toBeUndefined();
    await expect(storage.updateBackfill("nope", {})).rejects.toThrow(/STRATA_ERR_UNKNOWN_RUN/);
    await expect(storage.createBackfill(backfill)).rejects.toThrow(/STRATA_ERR_STORAGE/);
  });
});
