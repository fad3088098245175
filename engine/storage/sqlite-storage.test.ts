import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { StrataError } from "../errors.ts";
import type { RunRecord } from "./records.ts";
import { SqliteRunStorage } from "./sqlite-storage.ts";

const opened: SqliteRunStorage[] = [];
function open(path = ":memory:"): SqliteRunStorage {
  const storage = SqliteRunStorage.open(path);
  opened.push(storage);
  return storage;
}
afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
});

const run = (runId: string, extra: Partial<RunRecord> = {}): RunRecord => ({
  runId,
  status: "queued",
  assetKeys: ["a/x", "a/y"],
  selection: "a/x+",
  tags: { who: "test" },
  createdAt: 1000,
  ...extra,
});

describe("SQLite run storage", () => {
  test("runs round-trip and filter by status and asset", async () => {
    const storage = open();
    await storage.createRun(
      run("r1", { partition: "2024-01-01", origin: { kind: "sensor", name: "s" }, runKey: "k1" }),
    );
    await storage.createRun(run("r2", { assetKeys: ["b/z"] }));
    expect(await storage.getRun("r1")).toEqual(
      run("r1", { partition: "2024-01-01", origin: { kind: "sensor", name: "s" }, runKey: "k1" }),
    );
    expect((await storage.listRuns({ assetKey: "b/z" })).map((r) => r.runId)).toEqual(["r2"]);
    expect((await storage.listRuns()).map((r) => r.runId)).toEqual(["r2", "r1"]);
    const updated = await storage.updateRun("r2", { status: "failure", endedAt: 2000, error: "boom" });
    expect(updated).toMatchObject({ status: "failure", error: "boom" });
    expect((await storage.listRuns({ statuses: ["failure"] })).map((r) => r.runId)).toEqual(["r2"]);
    await expect(storage.updateRun("nope", {})).rejects.toThrow(/STRATA_ERR_UNKNOWN_RUN/);
  });

  test("claimRun is exclusive", async () => {
    const storage = open();
    await storage.createRun(run("r1"));
    expect(await storage.claimRun("r1", 5)).toBe(true);
    expect(await storage.claimRun("r1", 6)).toBe(false);
    expect(await storage.getRun("r1")).toMatchObject({ status: "started", startedAt: 5 });
  });

  test("events are ordered and derive materialisations and check results", async () => {
    const storage = open();
    await storage.createRun(run("r1", { status: "started" }));
    await storage.appendEvents([
      { runId: "r1", type: "STEP_STARTED", timestamp: 1, assetKey: "a/x", partition: "p1", message: "go" },
      {
        runId: "r1",
        type: "ASSET_MATERIALIZATION",
        timestamp: 2,
        assetKey: "a/x",
        partition: "p1",
        message: "m",
        data: { metadata: { rows: { type: "int", value: 7 } }, dataVersion: "v1" },
      },
      {
        runId: "r1",
        type: "CHECK_EVALUATION",
        timestamp: 3,
        assetKey: "a/x",
        message: "c",
        data: { checkName: "rows", passed: false, severity: "warn", blocking: false, metadata: {} },
      },
      { runId: "r1", type: "STEP_STARTED", timestamp: 4, assetKey: "a/x", partition: "p2", message: "go" },
      { runId: "r1", type: "STEP_FAILURE", timestamp: 5, assetKey: "a/x", partition: "p3", message: "bad" },
    ]);
    const events = await storage.listEvents("r1");
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));
    expect((await storage.listEvents("r1", { afterId: events[1]?.id ?? 0 })).map((e) => e.type)).toEqual([
      "CHECK_EVALUATION",
      "STEP_STARTED",
      "STEP_FAILURE",
    ]);
    const latest = await storage.latestMaterialization("a/x", "p1");
    expect(latest).toMatchObject({
      partition: "p1",
      runId: "r1",
      dataVersion: "v1",
      metadata: { rows: { type: "int", value: 7 } },
    });
    expect(await storage.latestMaterialization("a/x", "p2")).toBeUndefined();
    expect((await storage.checkResults("a/x"))[0]).toMatchObject({
      checkName: "rows",
      passed: false,
      severity: "warn",
    });
    const statuses = await storage.partitionStatuses("a/x");
    expect(Object.fromEntries(statuses)).toEqual({ p1: "materialized", p2: "in_progress", p3: "failed" });
    expect((await storage.listEventsAfter(0, ["ASSET_MATERIALIZATION"])).map((e) => e.assetKey)).toEqual([
      "a/x",
    ]);
    expect(await storage.latestEventId()).toBe(events.at(-1)?.id);
  });

  test("a sensor tick commits its runs and cursor together, dropping run keys already used", async () => {
    const storage = open();
    const first = await storage.commitSensorTick({
      sensorName: "s",
      timestamp: 1,
      runs: [run("r1", { origin: { kind: "sensor", name: "s" }, runKey: "a" })],
      cursor: "c1",
      status: "requested",
    });
    expect(first).toMatchObject({ status: "requested", runIds: ["r1"] });
    const second = await storage.commitSensorTick({
      sensorName: "s",
      timestamp: 2,
      runs: [
        run("r2", { origin: { kind: "sensor", name: "s" }, runKey: "a" }),
        run("r3", { origin: { kind: "sensor", name: "s" }, runKey: "b" }),
      ],
      cursor: "c2",
      status: "requested",
    });
    expect(second.runIds).toEqual(["r3"]);
    expect([...(await storage.runKeysSeen("s", ["a", "b", "c"]))].sort()).toEqual(["a", "b"]);
    expect(await storage.getCursor("sensor:s")).toBe("c2");
    // a failing insert (duplicate run id) rolls back the cursor and the tick
    await expect(
      storage.commitSensorTick({
        sensorName: "s",
        timestamp: 3,
        runs: [run("r3", { runKey: "z", origin: { kind: "sensor", name: "s" } })],
        cursor: "c3",
        status: "requested",
      }),
    ).rejects.toThrow(/STRATA_ERR_STORAGE/);
    expect(await storage.getCursor("sensor:s")).toBe("c2");
    expect((await storage.listTicks("sensor", "s", 10)).map((t) => t.timestamp)).toEqual([2, 1]);
  });

  test("prune drops old runs and ticks but keeps each asset's latest materialisation", async () => {
    const storage = open();
    const day = 86_400_000;
    for (const [id, ended] of [
      ["old1", 1 * day],
      ["old2", 2 * day],
      ["new", 30 * day],
    ] as const) {
      await storage.createRun(run(id, { status: "success", endedAt: ended }));
      await storage.appendEvent({
        runId: id,
        type: "ASSET_MATERIALIZATION",
        timestamp: ended,
        assetKey: id === "new" ? "a/y" : "a/x",
        message: "m",
        data: { metadata: {} },
      });
    }
    for (let t = 0; t < 5; t++)
      await storage.addTick({ kind: "sensor", name: "s", timestamp: t * day, status: "skipped", runIds: [] });
    const pruned = await storage.prune({ runDays: 7, tickDays: 7 }, 31 * day);
    expect(pruned).toEqual({ runs: 2, events: 2, ticks: 4 });
    expect(await storage.getRun("old1")).toBeUndefined();
    expect((await storage.latestMaterialization("a/x"))?.runId).toBe("old2");
    expect((await storage.materializations("a/x")).map((m) => m.runId)).toEqual(["old2"]);
    expect(await storage.listTicks("sensor", "s")).toHaveLength(1);
  });

  test("data survives reopening the file; an unusable path is a coded error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "strata-storage-"));
    const first = open(join(dir, "runs.sqlite"));
    await first.createRun(run("kept"));
    await first.setCursor("k", "v");
    await first.close();
    const again = open(join(dir, "runs.sqlite"));
    expect((await again.getRun("kept"))?.runId).toBe("kept");
    expect(await again.getCursor("k")).toBe("v");
    writeFileSync(join(dir, "not-a-db.sqlite"), "this is not sqlite".repeat(100));
    let code: string | undefined;
    try {
      open(join(dir, "not-a-db.sqlite"));
    } catch (error) {
      code = StrataError.is(error) ? error.code : "uncoded";
    }
    expect(code).toBe("STRATA_ERR_STORAGE");
    expect(() => open(join(dir, "missing-dir", "x", "runs.sqlite"))).toThrow(/STRATA_ERR_STORAGE/);
  });
});
