import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, test } from "vitest";
import { StrataError } from "../errors.ts";
import type { EventInput } from "./records.ts";
import { MIGRATIONS } from "./sqlite-schema.ts";
import {
  DAY,
  openStorage as open,
  registerCleanup,
  makeRun as run,
  tempFile,
} from "./sqlite-storage.fixtures.ts";

registerCleanup();

function openError(path: string): StrataError | undefined {
  try {
    open(path);
  } catch (error) {
    if (StrataError.is(error)) return error;
    throw error;
  }
  return undefined;
}

describe("SQLite run storage: the file", () => {
  test("data survives closing and reopening; the file is in WAL mode", async () => {
    const file = tempFile();
    const first = open(file);
    await first.createRun(run("kept"));
    await first.setCursor("k", "v");
    await first.appendEvent({ runId: "kept", type: "RUN_QUEUED", timestamp: 1, message: "queued" });
    await first.close();
    const again = open(file);
    expect(await again.getRun("kept")).toEqual(run("kept"));
    expect(await again.getCursor("k")).toBe("v");
    expect(await again.listEvents("kept")).toHaveLength(1);
    await again.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(raw.prepare("SELECT max(version) AS v FROM schema_version").get()).toEqual({
      v: MIGRATIONS.length,
    });
    raw.close();
  });

  test("a file at an older schema version is migrated forward, keeping its data", async () => {
    const file = tempFile();
    const v1 = new Database(file);
    v1.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)");
    v1.exec(MIGRATIONS[0] ?? "");
    v1.exec("INSERT INTO schema_version (version) VALUES (1)");
    v1.prepare("INSERT INTO runs (run_id, status, record, created_at) VALUES (?, ?, ?, ?)").run(
      "old",
      "queued",
      JSON.stringify(run("old")),
      1000,
    );
    v1.close();
    const storage = open(file);
    expect(await storage.getRun("old")).toEqual(run("old"));
    await storage.close();
    const raw = new Database(file, { readonly: true });
    const versions = raw.prepare("SELECT version FROM schema_version ORDER BY version").all();
    expect(versions).toEqual(MIGRATIONS.map((_, i) => ({ version: i + 1 })));
    raw.close();
  });

  test("a file from a newer Strata is refused, naming the file", () => {
    const file = tempFile();
    open(file);
    const raw = new Database(file);
    raw.exec("INSERT INTO schema_version (version) VALUES (999)");
    raw.close();
    const error = openError(file);
    expect(error?.code).toBe("STRATA_ERR_STORAGE");
    expect(error?.message).toContain(JSON.stringify(file));
    expect(error?.message).toContain("999");
  });

  test("a corrupt file or an unusable path is STRATA_ERR_STORAGE, naming the path", () => {
    const corrupt = tempFile("not-a-db.sqlite");
    writeFileSync(corrupt, "this is not sqlite".repeat(100));
    const notADb = openError(corrupt);
    expect(notADb?.code).toBe("STRATA_ERR_STORAGE");
    expect(notADb?.message).toContain(JSON.stringify(corrupt));

    const missingDir = join(tempFile("dir"), "missing", "runs.sqlite");
    expect(openError(missingDir)?.code).toBe("STRATA_ERR_STORAGE");
    // a path through a regular file cannot be created, not even by root
    const blocker = tempFile("blocker");
    writeFileSync(blocker, "");
    const underFile = openError(join(blocker, "runs.sqlite"));
    expect(underFile?.code).toBe("STRATA_ERR_STORAGE");
    expect(underFile?.message).toContain(JSON.stringify(join(blocker, "runs.sqlite")));
  });

  test("a row that does not parse is STRATA_ERR_STORAGE naming the file, not a crash later", async () => {
    const file = tempFile();
    const storage = open(file);
    await storage.createRun(run("r1"));
    const raw = new Database(file);
    raw.prepare("UPDATE runs SET record = ? WHERE run_id = 'r1'").run(JSON.stringify({ runId: "r1" }));
    raw.close();
    await expect(storage.getRun("r1")).rejects.toThrow(/STRATA_ERR_STORAGE.*malformed run/);
    await expect(storage.listRuns()).rejects.toThrow(JSON.stringify(file));
  });
});

describe("SQLite run storage: retention", () => {
  const materialized = (runId: string, partition: string, timestamp: number): EventInput => ({
    runId,
    type: "ASSET_MATERIALIZATION",
    timestamp,
    assetKey: "a/x",
    partition,
    message: "m",
    data: { metadata: {}, dataVersion: runId },
  });
  const checked = (runId: string, timestamp: number): EventInput => ({
    runId,
    type: "CHECK_EVALUATION",
    timestamp,
    assetKey: "a/x",
    message: "c",
    data: { checkName: "rows", passed: true, severity: "error", blocking: false, metadata: {} },
  });

  test("old runs go with their events and checks; each partition's latest materialisation stays", async () => {
    const storage = open();
    // old1 and old2 ended long ago; old2 holds p1's latest materialisation, old1 p2's only one
    await storage.createRun(run("old1", { status: "success", endedAt: 1 * DAY }));
    await storage.createRun(run("old2", { status: "failure", endedAt: 2 * DAY }));
    await storage.createRun(run("recent", { status: "success", endedAt: 30 * DAY }));
    await storage.createRun(run("unended", { status: "started", createdAt: 0 }));
    await storage.appendEvents([
      materialized("old1", "p1", 1 * DAY),
      materialized("old1", "p2", 1 * DAY),
      checked("old1", 1 * DAY),
      materialized("old2", "p1", 2 * DAY),
      {
        runId: "old2",
        type: "STEP_FAILURE",
        timestamp: 2 * DAY,
        assetKey: "a/x",
        partition: "p3",
        message: "x",
      },
      materialized("recent", "p4", 30 * DAY),
      checked("recent", 30 * DAY),
      { runId: "unended", type: "RUN_STARTED", timestamp: 0, message: "still going" },
    ]);
    const statusesBefore = Object.fromEntries(await storage.partitionStatuses("a/x"));

    const pruned = await storage.prune({ runDays: 7, tickDays: 7 }, 31 * DAY);

    expect(pruned).toMatchObject({ runs: 2, events: 5 });
    expect((await storage.listRuns()).map((r) => r.runId).sort()).toEqual(["recent", "unended"]);
    expect(await storage.listEvents("old1")).toEqual([]);
    expect(await storage.listEvents("unended")).toHaveLength(1);
    expect((await storage.materializations("a/x")).map((m) => [m.partition, m.runId])).toEqual([
      ["p4", "recent"],
      ["p1", "old2"],
      ["p2", "old1"],
    ]);
    expect((await storage.checkResults("a/x")).map((c) => c.runId)).toEqual(["recent"]);
    // the catalog keeps its materialised partitions; the pruned failure of p3 is forgotten
    expect(statusesBefore).toEqual({
      p1: "materialized",
      p2: "materialized",
      p3: "failed",
      p4: "materialized",
    });
    expect(Object.fromEntries(await storage.partitionStatuses("a/x"))).toEqual({
      p1: "materialized",
      p2: "materialized",
      p4: "materialized",
    });
  });

  test("old ticks go, except each instigator's newest", async () => {
    const storage = open();
    const tick = (kind: "sensor" | "schedule", name: string, day: number) =>
      storage.addTick({ kind, name, timestamp: day * DAY, status: "skipped", runIds: [] });
    for (let day = 0; day < 5; day++) await tick("sensor", "busy", day);
    await tick("sensor", "busy", 29);
    await tick("schedule", "idle", 1); // old, but the only tick it has
    await tick("schedule", "idle2", 1);
    await tick("schedule", "idle2", 2);
    const pruned = await storage.prune({ runDays: 7, tickDays: 7 }, 31 * DAY);
    expect(pruned).toEqual({ runs: 0, events: 0, ticks: 6 });
    expect((await storage.listTicks("sensor", "busy")).map((t) => t.timestamp)).toEqual([29 * DAY]);
    expect(await storage.listTicks("schedule", "idle")).toHaveLength(1);
    expect((await storage.listTicks("schedule", "idle2")).map((t) => t.timestamp)).toEqual([2 * DAY]);
  });
});
