import { describe, expect, test } from "vitest";
import {
  type CheckEvaluationEventData,
  isCheckEvaluationEventData,
  isMaterializationEventData,
  type MaterializationEventData,
} from "./event-data.ts";
import type { EventInput, RunRecord } from "./records.ts";
import { openStorage as open, registerCleanup, makeRun as run } from "./sqlite-storage.fixtures.ts";
import type { SqliteRunStorage } from "./sqlite-storage.ts";

registerCleanup();

const materialized = (
  runId: string,
  assetKey: string,
  partition?: string,
  data: MaterializationEventData = { metadata: {} },
): EventInput => ({
  runId,
  type: "ASSET_MATERIALIZATION",
  timestamp: 2,
  assetKey,
  message: `materialized ${assetKey}`,
  data,
  ...(partition !== undefined && { partition }),
});

const step = (
  type: "STEP_STARTED" | "STEP_SUCCESS" | "STEP_FAILURE",
  runId: string,
  assetKey: string,
  partition?: string,
): EventInput => ({
  runId,
  type,
  timestamp: 1,
  assetKey,
  message: type,
  ...(partition !== undefined && { partition }),
});

async function withRun(storage: SqliteRunStorage, runId: string, extra: Partial<RunRecord> = {}) {
  await storage.createRun(run(runId, { status: "started", ...extra }));
}

describe("SQLite run storage: event log", () => {
  test("events keep their order and fields; afterId, types and limit page through them", async () => {
    const storage = open();
    await withRun(storage, "r1");
    await withRun(storage, "r2");
    const written = await storage.appendEvents([
      { runId: "r1", type: "RUN_STARTED", timestamp: 1, message: "go", data: { assetKeys: ["a/x"] } },
      {
        runId: "r1",
        type: "LOG",
        timestamp: 2,
        assetKey: "a/x",
        partition: "p",
        level: "warn",
        message: "hm",
      },
      { runId: "r2", type: "RUN_STARTED", timestamp: 3, message: "other run" },
    ]);
    const last = await storage.appendEvent({
      runId: "r1",
      type: "RUN_SUCCESS",
      timestamp: 4,
      message: "done",
    });
    const ids = [...written.map((e) => e.id), last.id];
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(4);

    const events = await storage.listEvents("r1");
    expect(events).toEqual([written[0], written[1], last]);
    expect(events[1]).toEqual({
      id: written[1]?.id,
      runId: "r1",
      type: "LOG",
      timestamp: 2,
      assetKey: "a/x",
      partition: "p",
      level: "warn",
      message: "hm",
    });
    expect(Object.keys(events[2] ?? {}).sort()).toEqual(["id", "message", "runId", "timestamp", "type"]);

    const page1 = await storage.listEvents("r1", { limit: 2 });
    const page2 = await storage.listEvents("r1", { afterId: page1.at(-1)?.id ?? 0, limit: 2 });
    expect([...page1, ...page2]).toEqual(events);
    expect((await storage.listEvents("r1", { types: ["RUN_SUCCESS", "LOG"] })).map((e) => e.type)).toEqual([
      "LOG",
      "RUN_SUCCESS",
    ]);
    const started = await storage.listEventsAfter(0, ["RUN_STARTED"]);
    expect(started.map((e) => e.runId)).toEqual(["r1", "r2"]);
    expect((await storage.listEventsAfter(written[0]?.id ?? 0, ["RUN_STARTED"])).map((e) => e.runId)).toEqual(
      ["r2"],
    );
    expect(await storage.listEventsAfter(0, [], 2)).toEqual(events.slice(0, 1).concat(written[1] ?? []));
    expect(await storage.latestEventId()).toBe(last.id);
  });

  test("an empty log has latest event id 0", async () => {
    expect(await open().latestEventId()).toBe(0);
  });
});

describe("SQLite run storage: materialisations and check results", () => {
  test("are derived from ASSET_MATERIALIZATION and CHECK_EVALUATION events", async () => {
    const storage = open();
    await withRun(storage, "r1");
    const data: MaterializationEventData = {
      metadata: {
        rows: { type: "int", value: 7 },
        schema: { type: "table_schema", value: [{ name: "id", type: "int", nullable: false }] },
        where: { type: "path", value: "s3://b/k" },
      },
      dataVersion: "v1",
      codeVersion: "c1",
    };
    const check: CheckEvaluationEventData = {
      checkName: "no_nulls",
      passed: false,
      severity: "warn",
      blocking: false,
      description: "3 nulls",
      metadata: { nulls: { type: "int", value: 3 } },
    };
    expect(isMaterializationEventData(data)).toBe(true);
    expect(isCheckEvaluationEventData(check)).toBe(true);
    const [mat, evaluation] = await storage.appendEvents([
      materialized("r1", "a/x", "p1", data),
      { runId: "r1", type: "CHECK_EVALUATION", timestamp: 3, assetKey: "a/x", message: "c", data: check },
      materialized("r1", "a/y"),
    ]);
    expect(await storage.latestMaterialization("a/x", "p1")).toEqual({
      eventId: mat?.id,
      assetKey: "a/x",
      partition: "p1",
      runId: "r1",
      timestamp: 2,
      ...data,
    });
    const unpartitioned = await storage.latestMaterialization("a/y");
    expect(unpartitioned).toMatchObject({ assetKey: "a/y", metadata: {} });
    expect(unpartitioned && "partition" in unpartitioned).toBe(false);
    expect(await storage.latestMaterialization("a/x", "p2")).toBeUndefined();
    expect(await storage.checkResults("a/x")).toEqual([
      { eventId: evaluation?.id, assetKey: "a/x", runId: "r1", timestamp: 3, ...check },
    ]);
    expect(await storage.checkResults("a/x", { checkName: "other" })).toEqual([]);
  });

  test("listEventsAfter for one derived type reads the same events as a scan of the log", async () => {
    const storage = open();
    await withRun(storage, "r1");
    const check = { checkName: "c", passed: true, severity: "warn", blocking: false, metadata: {} };
    await storage.appendEvents([
      step("STEP_STARTED", "r1", "a/x"),
      materialized("r1", "a/x"),
      { runId: "r1", type: "CHECK_EVALUATION", timestamp: 3, assetKey: "a/x", message: "c", data: check },
      materialized("r1", "a/y", "p"),
      { runId: "r1", type: "LOG", timestamp: 4, message: "hello" },
      materialized("r1", "a/z"),
    ]);
    const all = await storage.listEventsAfter(0, []);
    for (const type of ["ASSET_MATERIALIZATION", "CHECK_EVALUATION"] as const) {
      const scanned = all.filter((e) => e.type === type);
      expect(await storage.listEventsAfter(0, [type])).toEqual(scanned);
      const after = scanned[0]?.id ?? 0;
      expect(await storage.listEventsAfter(after, [type], 1)).toEqual(scanned.slice(1, 2));
    }
    expect((await storage.listEventsAfter(0, ["ASSET_MATERIALIZATION"])).map((e) => e.assetKey)).toEqual([
      "a/x",
      "a/y",
      "a/z",
    ]);
  });

  test("newest first, filtered by partition, limited", async () => {
    const storage = open();
    await withRun(storage, "r1");
    for (const [i, partition] of ["p1", "p2", "p1"].entries())
      await storage.appendEvent(materialized("r1", "a/x", partition, { metadata: {}, dataVersion: `v${i}` }));
    expect((await storage.materializations("a/x")).map((m) => m.dataVersion)).toEqual(["v2", "v1", "v0"]);
    expect((await storage.materializations("a/x", { partition: "p1" })).map((m) => m.dataVersion)).toEqual([
      "v2",
      "v0",
    ]);
    expect(await storage.materializations("a/x", { limit: 1 })).toHaveLength(1);
    expect((await storage.latestMaterialization("a/x"))?.dataVersion).toBe("v2");
  });

  test("a malformed materialisation or check event is refused, and its batch writes nothing", async () => {
    const storage = open();
    await withRun(storage, "r1");
    const bad: EventInput[] = [
      { runId: "r1", type: "ASSET_MATERIALIZATION", timestamp: 1, message: "no asset key" },
      { runId: "r1", type: "ASSET_MATERIALIZATION", timestamp: 1, assetKey: "a/x", message: "m", data: 3 },
      {
        runId: "r1",
        type: "CHECK_EVALUATION",
        timestamp: 1,
        assetKey: "a/x",
        message: "c",
        data: { passed: true },
      },
    ];
    for (const event of bad) {
      await expect(storage.appendEvents([materialized("r1", "a/y"), event])).rejects.toThrow(
        /STRATA_ERR_STORAGE/,
      );
    }
    expect(await storage.listEvents("r1")).toEqual([]);
    expect(await storage.latestMaterialization("a/y")).toBeUndefined();
  });

  test("malformed metadata entries are dropped, keeping the materialisation", async () => {
    const storage = open();
    await withRun(storage, "r1");
    await storage.appendEvent({
      runId: "r1",
      type: "ASSET_MATERIALIZATION",
      timestamp: 1,
      assetKey: "a/x",
      message: "m",
      data: { metadata: { ok: { type: "int", value: 1 }, bad: { type: "int", value: "1" } } },
    });
    expect((await storage.latestMaterialization("a/x"))?.metadata).toEqual({ ok: { type: "int", value: 1 } });
    expect(isMaterializationEventData({ metadata: { bad: { type: "int", value: "1" } } })).toBe(false);
    expect(
      isCheckEvaluationEventData({
        checkName: "c",
        passed: true,
        severity: "fatal",
        blocking: false,
        metadata: {},
      }),
    ).toBe(false);
  });
});

describe("SQLite run storage: partition statuses", () => {
  test("materialized, failed after the last materialisation, in progress while the run is active", async () => {
    const storage = open();
    await withRun(storage, "done", { status: "success" });
    await withRun(storage, "live");
    await storage.appendEvents([
      step("STEP_STARTED", "done", "a/x", "ok"),
      materialized("done", "a/x", "ok"),
      step("STEP_SUCCESS", "done", "a/x", "ok"),
      materialized("done", "a/x", "broke_later"),
      step("STEP_STARTED", "done", "a/x", "broke_later"),
      step("STEP_FAILURE", "done", "a/x", "broke_later"),
      step("STEP_FAILURE", "done", "a/x", "never_worked"),
      materialized("done", "a/x", "fixed"),
      step("STEP_FAILURE", "done", "a/x", "fixed"),
      materialized("done", "a/x", "fixed"),
      // a STEP_STARTED in a finished run (crashed/cancelled mid-step) is not "in progress"
      step("STEP_STARTED", "done", "a/x", "stale_start"),
      step("STEP_STARTED", "live", "a/x", "running"),
      materialized("done", "a/x", "rerunning"),
      step("STEP_STARTED", "live", "a/x", "rerunning"),
      step("STEP_STARTED", "live", "a/x", "failed_now"),
      step("STEP_FAILURE", "live", "a/x", "failed_now"),
      step("STEP_STARTED", "live", "a/y"),
    ]);
    expect(Object.fromEntries(await storage.partitionStatuses("a/x"))).toEqual({
      ok: "materialized",
      broke_later: "failed",
      never_worked: "failed",
      fixed: "materialized",
      running: "in_progress",
      rerunning: "in_progress",
      failed_now: "failed",
    });
    // unpartitioned assets report under ""
    expect(Object.fromEntries(await storage.partitionStatuses("a/y"))).toEqual({ "": "in_progress" });
    await storage.updateRun("live", { status: "canceled", endedAt: 5 });
    expect((await storage.partitionStatuses("a/x")).get("rerunning")).toBe("materialized");
    expect((await storage.partitionStatuses("a/x")).has("running")).toBe(false);
    expect((await storage.partitionStatuses("a/none")).size).toBe(0);
  });
});
