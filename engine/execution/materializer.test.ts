import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { loadDefinitions } from "../definitions/definitions.ts";
import { bind } from "../di/token.ts";
import type { EventRecord } from "../storage/records.ts";
import { SqliteRunStorage } from "../storage/sqlite-storage.ts";
import { Backfills } from "./backfill.ts";
import { systemClock } from "./clock.ts";
import { InMemoryIOManager } from "./io-manager.ts";
import { CANCEL_POLL_MS, Materializer } from "./materializer.ts";
import { PROBE, Probe, testAssets, testChecks } from "./test-graph.ts";

let probe: Probe;
let storage: SqliteRunStorage;
let materializer: Materializer;
let io: InMemoryIOManager;

function setUp(concurrency = 4): void {
  probe = new Probe();
  const definitions = loadDefinitions({
    assets: testAssets,
    checks: testChecks,
    resources: [bind.value(PROBE, probe)],
  });
  storage = SqliteRunStorage.open(":memory:");
  io = new InMemoryIOManager();
  materializer = new Materializer(definitions, storage, { concurrency, ioManager: io, random: () => 0.5 });
}

const types = (events: readonly EventRecord[], assetKey?: string): string[] =>
  events.filter((e) => assetKey === undefined || e.assetKey === assetKey).map((e) => e.type);

beforeEach(() => setUp());
afterEach(async () => storage.close());

describe("materializer on a diamond", () => {
  test("runs in topological order, passes typed values downstream and records materialisations", async () => {
    const result = await materializer.materialize({ selection: "diamond/bottom,+diamond/bottom" });
    expect(result.status).toBe("success");
    expect(probe.calls[0]).toBe("top");
    expect(probe.calls.at(-1)).toBe("bottom");
    expect(new Set(probe.calls.slice(1, 3))).toEqual(new Set(["left", "right"]));
    const bottom = await storage.latestMaterialization("diamond/bottom");
    expect(bottom?.metadata.sum).toEqual({ type: "int", value: 31 });
    const top = await storage.latestMaterialization("diamond/top");
    expect(top?.metadata.rows).toEqual({ type: "int", value: 10 });
    expect(top?.codeVersion).toBe("1");
    const events = await storage.listEvents(result.runId);
    expect(types(events).at(0)).toBe("RUN_STARTED");
    expect(types(events).at(-1)).toBe("RUN_SUCCESS");
  });

  test("independent steps run concurrently, bounded by the concurrency limit", async () => {
    await materializer.materialize({ selection: "+diamond/bottom" });
    expect(probe.maxRunning).toBe(2);
    storage.close();
    setUp(1);
    await materializer.materialize({ selection: "+diamond/bottom" });
    expect(probe.maxRunning).toBe(1);
  });

  test("a later run loads upstream values through the IO manager", async () => {
    await materializer.materialize({ selection: "+diamond/bottom" });
    probe.calls.length = 0;
    const result = await materializer.materialize({ selection: "diamond/bottom" });
    expect(result.status).toBe("success");
    expect(probe.calls).toEqual(["bottom"]);
  });

  test("a missing upstream value fails the step with a coded error", async () => {
    const result = await materializer.materialize({ selection: "diamond/bottom" });
    expect(result.status).toBe("failure");
    const failure = (await storage.listEvents(result.runId)).find((e) => e.type === "STEP_FAILURE");
    expect(failure?.message).toContain("STRATA_ERR_MISSING_INPUT");
  });
});

describe("failures, retries and checks", () => {
  test("a failing step fails the run and skips its downstream", async () => {
    const result = await materializer.materialize({ selection: "failing/broken+" });
    expect(result.status).toBe("failure");
    expect(result.steps.get("failing/broken")).toMatchObject({
      status: "failure",
      error: "source system unreachable",
    });
    expect(result.steps.get("failing/after_broken")).toMatchObject({ status: "skipped" });
    const run = await storage.getRun(result.runId);
    expect(run?.status).toBe("failure");
    expect(run?.error).toContain("failing/broken");
    expect(await storage.latestMaterialization("failing/after_broken")).toBeUndefined();
  });

  test("a flaky step is retried with backoff until it succeeds", async () => {
    const result = await materializer.materialize({ selection: "flaky/eventually" });
    expect(result.status).toBe("success");
    expect(probe.calls).toEqual(["flaky#1", "flaky#2", "flaky#3"]);
    const retries = (await storage.listEvents(result.runId)).filter((e) => e.type === "STEP_RETRY");
    expect(retries.map((e) => e.data)).toEqual([
      { attempt: 1, delayMs: 6, error: "transient failure on attempt 1" },
      { attempt: 2, delayMs: 13, error: "transient failure on attempt 2" },
    ]);
  });

  test("retries are bounded: a step failing every attempt fails after maxRetries", async () => {
    probe.flakyFailures = 10;
    const result = await materializer.materialize({ selection: "flaky/eventually" });
    expect(result.status).toBe("failure");
    expect(probe.calls).toHaveLength(4);
  });

  test("a failing blocking check stops downstream; a failing warn check is recorded only", async () => {
    const result = await materializer.materialize({ selection: "checked/source+" });
    expect(result.status).toBe("failure");
    expect(result.steps.get("checked/downstream")).toMatchObject({ status: "skipped" });
    const checks = await storage.checkResults("checked/source");
    const byName = Object.fromEntries(checks.map((c) => [c.checkName, c]));
    expect(byName.no_nulls).toMatchObject({ passed: false, severity: "error", blocking: true });
    expect(byName.no_nulls?.metadata.nulls).toEqual({ type: "int", value: 3 });
    expect(byName.at_least_1000_rows).toMatchObject({ passed: false, severity: "warn", blocking: false });
    // the asset itself did materialise: the check judges the data it produced
    expect(await storage.latestMaterialization("checked/source")).toBeDefined();
  });
});

describe("cancellation", () => {
  test("cancelling a run aborts the running step and skips the rest", async () => {
    const running = materializer.materialize({ selection: "slow/waits+" });
    while (!probe.calls.includes("slow")) await new Promise((r) => setTimeout(r, 5));
    const [active] = await storage.listRuns({ statuses: ["started"] });
    expect(active).toBeDefined();
    expect(await materializer.cancel(active?.runId ?? "")).toBe(true);
    const result = await running;
    expect(result.status).toBe("canceled");
    expect(result.steps.get("slow/after")).toMatchObject({ status: "skipped" });
    expect((await storage.getRun(result.runId))?.status).toBe("canceled");
  });

  test("a run executing in another process is cancelled through run storage", async () => {
    const dir = mkdtempSync(join(tmpdir(), "strata-cancel-"));
    const file = join(dir, "runs.sqlite");
    const definitions = () =>
      loadDefinitions({ assets: testAssets, checks: testChecks, resources: [bind.value(PROBE, probe)] });
    const executing = SqliteRunStorage.open(file);
    const elsewhere = SqliteRunStorage.open(file);
    try {
      const owner = new Materializer(definitions(), executing, { ioManager: new InMemoryIOManager() });
      const other = new Materializer(definitions(), elsewhere, { ioManager: new InMemoryIOManager() });
      const running = owner.materialize({ selection: "slow/waits+" });
      while (!probe.calls.includes("slow")) await new Promise((r) => setTimeout(r, 5));
      const [active] = await elsewhere.listRuns({ statuses: ["started"] });
      const requested = Date.now();
      expect(await other.cancel(active?.runId ?? "")).toBe(true);
      const result = await running;
      expect(result.status).toBe("canceled");
      expect(Date.now() - requested).toBeLessThan(CANCEL_POLL_MS * 8);
      expect(result.steps.get("slow/after")).toMatchObject({ status: "skipped" });
      expect(await elsewhere.getRun(result.runId)).toMatchObject({ status: "canceled" });
      // An ended run cannot be cancelled again.
      expect(await other.cancel(result.runId)).toBe(false);
    } finally {
      executing.close();
      elsewhere.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("partitions", () => {
  test("a partition run materialises that partition of each partitioned asset", async () => {
    const result = await materializer.materialize({
      selection: "parts/raw,parts/clean",
      partition: "2024-01-02",
    });
    expect(result.status).toBe("success");
    expect((await storage.latestMaterialization("parts/clean", "2024-01-02"))?.partition).toBe("2024-01-02");
    const statuses = await storage.partitionStatuses("parts/raw");
    expect(statuses.get("2024-01-02")).toBe("materialized");
    expect(statuses.get("2024-01-03")).toBeUndefined();
  });

  test("a range run covers every partition, and an all-partitions input sees them", async () => {
    const result = await materializer.materialize({
      selection: "parts/raw,parts/clean",
      partitionRange: { from: "2024-01-01", to: "2024-01-05" },
    });
    expect(result.status).toBe("success");
    expect(probe.calls.filter((c) => c.startsWith("raw:"))).toHaveLength(5);
    const summary = await materializer.materialize({ selection: "parts/summary" });
    expect(summary.status).toBe("success");
    expect(await io.loadInput("parts/summary", undefined)).toEqual({ found: true, value: 5 });
  });

  test("unknown partitions and missing partitions are coded errors", async () => {
    await expect(
      materializer.materialize({ selection: "parts/raw", partition: "2023-12-31" }),
    ).rejects.toThrow(/STRATA_ERR_UNKNOWN_PARTITION/);
    await expect(materializer.materialize({ selection: "parts/raw" })).rejects.toThrow(
      /STRATA_ERR_PARTITION_MISMATCH/,
    );
    await expect(
      materializer.materialize({ selection: "diamond/top", partition: "2024-01-01" }),
    ).rejects.toThrow(/STRATA_ERR_PARTITION_MISMATCH/);
  });

  test("a backfill interrupted midway resumes without re-running finished partitions", async () => {
    const backfills = new Backfills(materializer.definitions, storage, materializer, systemClock);
    const created = await backfills.create({ selection: "parts/raw", from: "2024-01-01", to: "2024-01-05" });
    expect(created.partitions).toHaveLength(5);
    const interrupted = await backfills.run(created.backfillId, { stopAfter: 2 });
    expect(interrupted.completed).toEqual(["2024-01-01", "2024-01-02"]);
    // a new Backfills object, as after a restart, reads the durable record
    const resumed = await new Backfills(materializer.definitions, storage, materializer, systemClock).run(
      created.backfillId,
    );
    expect(resumed.status).toBe("completed");
    expect(resumed.completed).toHaveLength(5);
    expect(probe.calls.filter((c) => c.startsWith("raw:")).sort()).toEqual(
      ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"].map((d) => `raw:${d}`),
    );
  });

  test("a cancelled backfill launches nothing more", async () => {
    const backfills = new Backfills(materializer.definitions, storage, materializer, systemClock);
    const created = await backfills.create({ selection: "parts/raw", from: "2024-01-01", to: "2024-01-04" });
    await backfills.run(created.backfillId, { stopAfter: 1 });
    await backfills.cancel(created.backfillId);
    await expect(backfills.run(created.backfillId)).rejects.toThrow(/STRATA_ERR_BACKFILL_STATE/);
    expect(probe.calls.filter((c) => c.startsWith("raw:"))).toHaveLength(1);
  });
});
