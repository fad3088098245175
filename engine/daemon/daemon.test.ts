import { afterEach, describe, expect, test } from "vitest";
import { type AutomationCondition, eager, onCron } from "../definitions/automation.ts";
import { defineAsset } from "../definitions/define.ts";
import { type Definitions, loadDefinitions } from "../definitions/definitions.ts";
import { defineSchedule, defineSensor, type SensorResult } from "../definitions/instigators.ts";
import { dailyPartitions } from "../definitions/partitions.ts";
import { Backfills } from "../execution/backfill.ts";
import { ManualClock } from "../execution/clock.ts";
import { InMemoryIOManager } from "../execution/io-manager.ts";
import { Materializer } from "../execution/materializer.ts";
import { RUN_PRIORITY_TAG } from "../storage/records.ts";
import { SqliteRunStorage } from "../storage/sqlite-storage.ts";
import { Daemon } from "./daemon.ts";

const T0 = Date.parse("2024-01-05T01:00:00Z");
const opened: SqliteRunStorage[] = [];
afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
});

function harness(
  definitions: Definitions,
  storage = SqliteRunStorage.open(":memory:"),
  clock = new ManualClock(T0),
  options: { readonly maxConcurrentRuns?: number } = {},
) {
  opened.push(storage);
  const loaded = loadDefinitions(definitions);
  const materializer = new Materializer(loaded, storage, { clock, ioManager: new InMemoryIOManager() });
  const daemon = new Daemon(
    storage,
    materializer,
    new Backfills(loaded, storage, materializer, clock),
    clock,
    {
      ...options,
      onError: (error) => {
        throw error;
      },
    },
  );
  const step = async (): Promise<void> => {
    await daemon.tick();
    await daemon.drain();
  };
  return { storage, clock, materializer, daemon, step };
}

const source = defineAsset({ key: "raw/files", materialize: (ctx) => ctx.runId });

describe("sensors", () => {
  const evaluations: (string | undefined)[] = [];
  let nextResult: () => SensorResult = () => ({ runRequests: [] });
  const sensor = defineSensor({
    name: "landing",
    target: "raw/files",
    intervalSeconds: 30,
    evaluate: (ctx) => {
      evaluations.push(ctx.cursor);
      return nextResult();
    },
  });

  test("a run key is never run twice, even after a restart", async () => {
    nextResult = () => ({
      runRequests: [{ runKey: "a.csv@etag1" }, { runKey: "b.csv@etag1" }, { runKey: "a.csv@etag1" }],
      cursor: "b.csv",
    });
    const first = harness({ assets: [source], sensors: [sensor] });
    await first.step();
    expect(await first.storage.listRuns()).toHaveLength(2);
    first.clock.advance(31_000);
    await first.step();
    expect(await first.storage.listRuns()).toHaveLength(2);
    const [latestTick] = await first.storage.listTicks("sensor", "landing", 1);
    expect(latestTick).toMatchObject({
      status: "skipped",
      skipReason: "every run key was already requested",
    });
    // restart: a new daemon over the same storage
    const restarted = harness({ assets: [source], sensors: [sensor] }, first.storage, first.clock);
    restarted.clock.advance(31_000);
    await restarted.step();
    expect(await first.storage.listRuns()).toHaveLength(2);
    expect((await first.storage.listRuns()).every((run) => run.status === "success")).toBe(true);
  });

  test("the interval is respected and the cursor is passed to the next evaluation", async () => {
    evaluations.length = 0;
    let n = 0;
    nextResult = () => ({ runRequests: [{ runKey: `k${++n}` }], cursor: `c${n}` });
    const h = harness({ assets: [source], sensors: [sensor] });
    await h.step();
    h.clock.advance(10_000);
    await h.step();
    h.clock.advance(21_000);
    await h.step();
    expect(evaluations).toEqual([undefined, "c1"]);
    expect(await h.storage.getCursor("sensor:landing")).toBe("c2");
  });

  test("a cursor never advances without its runs", async () => {
    nextResult = () => ({ runRequests: [{ runKey: "x", selection: "raw/nope" }], cursor: "advanced" });
    const h = harness({ assets: [source], sensors: [sensor] });
    await h.step();
    expect(await h.storage.getCursor("sensor:landing")).toBeUndefined();
    expect(await h.storage.listRuns()).toHaveLength(0);
    const [tick] = await h.storage.listTicks("sensor", "landing", 1);
    expect(tick?.status).toBe("failed");
    expect(tick?.error).toContain("STRATA_ERR_INVALID_SELECTION");
    nextResult = () => {
      throw new Error("listing failed");
    };
    h.clock.advance(31_000);
    await h.step();
    expect(await h.storage.getCursor("sensor:landing")).toBeUndefined();
    expect((await h.storage.listTicks("sensor", "landing", 1))[0]?.error).toBe("listing failed");
  });
});

describe("schedules", () => {
  const daily = dailyPartitions({ start: "2024-01-01" });
  const partitioned = defineAsset({
    key: "raw/daily",
    partitions: daily,
    materialize: (ctx) => ctx.partition,
  });

  test("runs once per tick, for the partition that just closed", async () => {
    const schedule = defineSchedule({
      name: "daily_batch",
      cron: "0 2 * * *",
      timezone: "UTC",
      target: "raw/daily",
    });
    const h = harness({ assets: [partitioned], schedules: [schedule] });
    await h.step(); // first sight at 01:00
    h.clock.set(Date.parse("2024-01-05T02:00:30Z"));
    await h.step();
    h.clock.set(Date.parse("2024-01-05T09:00:00Z"));
    await h.step();
    const runs = await h.storage.listRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      partition: "2024-01-04",
      status: "success",
      runKey: "daily_batch@2024-01-05T02:00:00.000Z",
    });
    const ticks = await h.storage.listTicks("schedule", "daily_batch", 10);
    expect(ticks.map((t) => t.status)).toEqual(["requested"]);
  });

  test("honours the timezone and catches up ticks missed while down", async () => {
    const schedule = defineSchedule({
      name: "paris",
      cron: "0 2 * * *",
      timezone: "Europe/Paris",
      target: "raw/daily",
    });
    const h = harness({ assets: [partitioned], schedules: [schedule] });
    await h.step();
    h.clock.set(Date.parse("2024-01-07T01:30:00Z")); // 02:00 Paris = 01:00Z in winter: two ticks passed
    await h.step();
    const runs = await h.storage.listRuns();
    expect(runs.map((r) => r.runKey).sort()).toEqual([
      "paris@2024-01-06T01:00:00.000Z",
      "paris@2024-01-07T01:00:00.000Z",
    ]);
    expect(runs.map((r) => r.partition).sort()).toEqual(["2024-01-05", "2024-01-06"]);
  });
});

describe("automation", () => {
  const counts = new Map<string, number>();
  const counted = (key: string, options: { deps?: string[]; automation?: AutomationCondition }) =>
    defineAsset({
      key,
      ...options,
      materialize: () => {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return counts.get(key);
      },
    });

  test("eager materialises each downstream exactly once per upstream change", async () => {
    counts.clear();
    const top = counted("auto/top", {});
    const left = counted("auto/left", { deps: ["auto/top"], automation: eager() });
    const right = counted("auto/right", { deps: ["auto/top"], automation: eager() });
    const bottom = counted("auto/bottom", { deps: ["auto/left", "auto/right"], automation: eager() });
    const h = harness({ assets: [top, left, right, bottom] });
    await h.step(); // sets the automation bookmark
    await h.materializer.materialize({ selection: "auto/top" });
    for (let i = 0; i < 5; i++) await h.step();
    expect(Object.fromEntries(counts)).toEqual({
      "auto/top": 1,
      "auto/left": 1,
      "auto/right": 1,
      "auto/bottom": 1,
    });
    await h.materializer.materialize({ selection: "auto/top" });
    for (let i = 0; i < 5; i++) await h.step();
    expect(Object.fromEntries(counts)).toEqual({
      "auto/top": 2,
      "auto/left": 2,
      "auto/right": 2,
      "auto/bottom": 2,
    });
  });

  test("eager waits while an upstream is missing", async () => {
    counts.clear();
    const a = counted("wait/a", {});
    const b = counted("wait/b", {});
    const c = counted("wait/c", { deps: ["wait/a", "wait/b"], automation: eager() });
    const h = harness({ assets: [a, b, c] });
    await h.step();
    await h.materializer.materialize({ selection: "wait/a" });
    await h.step();
    expect(counts.get("wait/c")).toBeUndefined();
    await h.materializer.materialize({ selection: "wait/b" });
    await h.step();
    await h.step();
    expect(counts.get("wait/c")).toBe(1);
  });

  test("onCron runs once per tick after its upstream updated", async () => {
    counts.clear();
    const up = counted("cron/up", {});
    const report = counted("cron/report", { deps: ["cron/up"], automation: onCron("0 * * * *") });
    const h = harness({ assets: [up, report] });
    await h.step();
    h.clock.set(Date.parse("2024-01-05T02:00:10Z"));
    await h.step();
    expect(counts.get("cron/report")).toBeUndefined(); // upstream not updated since the tick
    await h.materializer.materialize({ selection: "cron/up" });
    await h.step();
    await h.step();
    expect(counts.get("cron/report")).toBe(1);
  });
});

describe("retention", () => {
  test("the daemon prunes runs older than the retention on its cadence", async () => {
    const storage = SqliteRunStorage.open(":memory:");
    opened.push(storage);
    const clock = new ManualClock(T0);
    const loaded = loadDefinitions({ assets: [source] });
    const materializer = new Materializer(loaded, storage, { clock, ioManager: new InMemoryIOManager() });
    const daemon = new Daemon(
      storage,
      materializer,
      new Backfills(loaded, storage, materializer, clock),
      clock,
      {
        retention: { runDays: 7, tickDays: 7 },
      },
    );
    await materializer.materialize({ selection: "raw/files" });
    clock.advance(8 * 86_400_000);
    await materializer.materialize({ selection: "raw/files" });
    await daemon.tick();
    expect(await storage.listRuns()).toHaveLength(1);
    expect(await storage.latestMaterialization("raw/files")).toBeDefined();
  });
});

/** A run started by another process (the daemon under test does not own it). */
const elsewhere = (runId: string, assetKeys: string[], createdAt: number, partition?: string) => ({
  runId,
  status: "started" as const,
  assetKeys,
  selection: assetKeys.join(","),
  tags: {},
  createdAt,
  ...(partition !== undefined && { partition }),
});

describe("automation keeps a change it cannot act on yet", () => {
  test("an eager asset whose upstream was busy runs once the upstream is free", async () => {
    const top = defineAsset({ key: "busy/top", materialize: () => 1 });
    const child = defineAsset({
      key: "busy/child",
      deps: ["busy/top"],
      automation: eager(),
      materialize: () => 2,
    });
    const h = harness({ assets: [top, child] });
    await h.step();
    await h.materializer.materialize({ selection: "busy/top" });
    // a run of the upstream in another process makes the child wait...
    await h.storage.createRun(elsewhere("elsewhere", ["busy/top"], h.clock.now()));
    await h.step();
    await h.step();
    expect((await h.storage.materializations("busy/child")).length).toBe(0);
    // ...and when that run fails, the earlier change is still acted on
    await h.storage.updateRun("elsewhere", { status: "failure", endedAt: h.clock.now() });
    await h.step();
    await h.step();
    expect((await h.storage.materializations("busy/child")).length).toBe(1);
    await h.step();
    expect((await h.storage.materializations("busy/child")).length).toBe(1);
  });

  test("a change recorded while the eager asset was running triggers it again afterwards", async () => {
    let release: () => void = () => undefined;
    let gate = Promise.resolve();
    const top = defineAsset({ key: "race/top", materialize: () => 1 });
    const child = defineAsset({
      key: "race/child",
      deps: ["race/top"],
      automation: eager(),
      materialize: async () => {
        await gate;
        return 2;
      },
    });
    const h = harness({ assets: [top, child] });
    await h.step();
    await h.materializer.materialize({ selection: "race/top" });
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await h.daemon.tick(); // launches the child, which waits at the gate
    await h.materializer.materialize({ selection: "race/top" }); // a change it started too early to read
    await h.daemon.tick();
    release();
    await h.daemon.drain();
    // The child's materialisation is newer than the change, but its run started before it.
    await h.step();
    await h.step();
    expect((await h.storage.materializations("race/child")).length).toBe(2);
    await h.step();
    expect((await h.storage.materializations("race/child")).length).toBe(2);
  });

  test("a busy run of another partition of the upstream does not hold a partition back", async () => {
    const days = dailyPartitions({ start: "2024-01-01" });
    const top = defineAsset({ key: "days/top", partitions: days, materialize: () => 1 });
    const child = defineAsset({
      key: "days/child",
      deps: ["days/top"],
      partitions: days,
      automation: eager(),
      materialize: () => 2,
    });
    const h = harness({ assets: [top, child] });
    await h.step();
    await h.materializer.materialize({ selection: "days/top", partition: "2024-01-03" });
    await h.storage.createRun(elsewhere("other-day", ["days/top"], h.clock.now(), "2024-01-04"));
    await h.step();
    expect((await h.storage.materializations("days/child", { partition: "2024-01-03" })).length).toBe(1);
  });

  test("eager({ maxWaitSeconds }) stops waiting for upstream runs that keep coming", async () => {
    const top = defineAsset({ key: "stream/top", materialize: () => 1 });
    const patient = defineAsset({
      key: "stream/patient",
      deps: ["stream/top"],
      automation: eager(),
      materialize: () => 2,
    });
    const bounded = defineAsset({
      key: "stream/bounded",
      deps: ["stream/top"],
      automation: eager({ maxWaitSeconds: 10 }),
      materialize: () => 3,
    });
    const h = harness({ assets: [top, patient, bounded] });
    await h.step();
    await h.materializer.materialize({ selection: "stream/top" });
    // An upstream run is always in flight somewhere, as under a steady stream of landings.
    await h.storage.createRun(elsewhere("steady", ["stream/top"], h.clock.now()));
    await h.step();
    h.clock.advance(5_000);
    // New upstream changes keep arriving while it waits: the wait still counts from the first.
    await h.materializer.materialize({ selection: "stream/top" });
    await h.step();
    h.clock.advance(4_000);
    await h.step();
    expect((await h.storage.materializations("stream/bounded")).length).toBe(0);
    h.clock.advance(2_000);
    await h.step();
    expect((await h.storage.materializations("stream/bounded")).length).toBe(1);
    expect((await h.storage.materializations("stream/patient")).length).toBe(0);
    expect(() => eager({ maxWaitSeconds: -1 })).toThrow(/STRATA_ERR_INVALID_OPTION/);
  });
});

describe("launch queue", () => {
  test("queued runs launch by strata/priority, then oldest first", async () => {
    const order: string[] = [];
    const recorder = defineAsset({
      key: "queue/recorder",
      materialize: (ctx) => {
        order.push(ctx.tags.name ?? "?");
        return 1;
      },
    });
    const { materializer, daemon } = harness({ assets: [recorder] }, undefined, undefined, {
      maxConcurrentRuns: 1,
    });

    for (const [name, priority] of [
      ["first", undefined],
      ["second", undefined],
      ["urgent", "1"],
      ["low", "-1"],
    ]) {
      await materializer.submit({
        selection: "queue/recorder",
        tags: { name: name ?? "", ...(priority !== undefined && { [RUN_PRIORITY_TAG]: priority }) },
      });
    }
    for (let i = 0; i < 4; i++) {
      await daemon.tick();
      await daemon.drain();
    }
    expect(order).toEqual(["urgent", "first", "second", "low"]);
  });
});
