/**
 * Exactly-once landing ingestion on MinIO: 1,000 small CSV objects are uploaded (in random key
 * order) while the real Daemon runs the pipeline's landing sensor, Bronze and Silver against an
 * s3:// lake set by configuration; the daemon is stopped midway and a new Daemon and Materializer
 * are opened over the same run storage. Every object must be ingested once: 1,000 distinct Bronze
 * manifests, 1,000 sensor runs with 1,000 distinct run keys, every row read into Silver once, and
 * every Silver reconciliation check passed.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LANDING_PREFIX } from "../assets/bronze/sales-csv.ts";
import { SILVER_SALES_TABLE } from "../assets/silver/sales.ts";
import { openWorkspace, type Workspace } from "../engine/cli/workspace.ts";
import { Daemon } from "../engine/daemon/daemon.ts";
import type { ObjectStore } from "../resources/object-store/object-store.ts";
import {
  MINIO_START_TIMEOUT_MS,
  type MinioServer,
  startMinio,
} from "../resources/object-store/testing/minio.ts";
import { DELTA_TABLES, LAKE } from "../resources/tokens.ts";
import { landingPipeline, smallCsvFiles } from "./testing/landing-pipeline.ts";

const OBJECTS = 1_000;
const ROWS_EACH = 3;

let minio: MinioServer;
let stateDir: string;
const errors: Error[] = [];

beforeAll(async () => {
  minio = await startMinio();
  stateDir = mkdtempSync(join(tmpdir(), "strata-landing-s3-"));
  Object.assign(process.env, minio.configEnv("lake"), { STRATA_LANDING_SENSOR_INTERVAL_SECONDS: "0.2" });
}, MINIO_START_TIMEOUT_MS);
afterAll(async () => {
  await minio?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function openDaemon(): Promise<{ workspace: Workspace; daemon: Daemon }> {
  const workspace = await openWorkspace(landingPipeline, { stateDir });
  const { storage, materializer, backfills, clock } = workspace;
  const daemon = new Daemon(storage, materializer, backfills, clock, {
    maxConcurrentRuns: 4,
    loopIntervalMs: 50,
    onError: (error) => errors.push(error),
  });
  daemon.start();
  return { workspace, daemon };
}

/** Landing keys whose order differs from the upload order: late keys often sort before the cursor. */
function landingKey(i: number): string {
  const hash = createHash("sha1").update(String(i)).digest("hex").slice(0, 8);
  return `${LANDING_PREFIX}${hash}-${String(i).padStart(4, "0")}.csv`;
}

async function upload(
  lake: ObjectStore,
  files: readonly Uint8Array[],
  from: number,
  to: number,
): Promise<void> {
  for (let i = from; i < to; i += 25) {
    await Promise.all(
      files.slice(i, Math.min(to, i + 25)).map((bytes, j) => lake.put(landingKey(i + j), bytes)),
    );
    await sleep(20); // uploads keep arriving while the sensor ticks
  }
}

async function settled(workspace: Workspace, deadline: number): Promise<void> {
  const lake = workspace.definitions.scope.resolve(LAKE);
  for (;;) {
    let manifests = 0;
    for await (const _ of lake.list("bronze/_manifests/sales_csv/by-sha256/")) manifests++;
    const busy = await workspace.storage.listRuns({ statuses: ["queued", "started"] });
    const silver = await workspace.storage.latestMaterialization(SILVER_SALES_TABLE);
    const bronze = await workspace.storage.latestMaterialization("bronze/sales_csv");
    // Settled when the latest Silver run started after the latest Bronze change (a run that
    // started before it may have missed it, and automation runs Silver again).
    const silverRun = silver === undefined ? undefined : await workspace.storage.getRun(silver.runId);
    const silverAfterBronze =
      bronze !== undefined && (silverRun?.startEventMark ?? Number.NEGATIVE_INFINITY) >= bronze.eventId;
    if (manifests === OBJECTS && busy.length === 0 && silverAfterBronze) return;
    if (Date.now() > deadline) {
      throw new Error(
        `not settled: ${manifests} manifests, ${busy.length} runs busy, silver after bronze: ${silverAfterBronze}`,
      );
    }
    await sleep(200);
  }
}

describe("S3 landing sensor, exactly once", () => {
  it("1,000 objects uploaded while the daemon runs, restarted midway, are each ingested once", async () => {
    const files = smallCsvFiles(OBJECTS, ROWS_EACH);
    const started = Date.now();
    let { workspace, daemon } = await openDaemon();
    await upload(workspace.definitions.scope.resolve(LAKE), files, 0, OBJECTS / 2);
    await sleep(300);
    // Restart: the first daemon finishes what it launched; queued runs and the sensor cursor stay
    // in the run storage for the next one.
    await daemon.stop();
    await workspace.close();
    ({ workspace, daemon } = await openDaemon());
    await upload(workspace.definitions.scope.resolve(LAKE), files, OBJECTS / 2, OBJECTS);
    try {
      await settled(workspace, Date.now() + 480_000); // generous: CI machines are shared and noisy
    } finally {
      await daemon.stop();
    }
    console.log(`landing-s3: ${OBJECTS} objects settled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(errors).toEqual([]);

    const { storage } = workspace;
    const lake = workspace.definitions.scope.resolve(LAKE);
    const landing: string[] = [];
    for await (const record of lake.list("bronze/_manifests/sales_csv/by-sha256/")) {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(await lake.get(record.key)));
      if (typeof parsed === "object" && parsed !== null && "landingKey" in parsed)
        landing.push(String(parsed.landingKey));
    }
    expect(landing).toHaveLength(OBJECTS);
    expect(new Set(landing)).toEqual(new Set(files.map((_, i) => landingKey(i))));

    const runs = await storage.listRuns({ limit: 10_000 });
    const bySensor = runs.filter((run) => run.origin?.kind === "sensor");
    expect(bySensor).toHaveLength(OBJECTS);
    expect(new Set(bySensor.map((run) => run.runKey)).size).toBe(OBJECTS);
    expect(runs.filter((run) => run.status !== "success")).toEqual([]);

    const silverRuns = await storage.materializations(SILVER_SALES_TABLE, { limit: 10_000 });
    expect(silverRuns.length).toBeGreaterThan(0);
    const metric = (record: (typeof silverRuns)[number], name: string): number => {
      const value = record.metadata[name];
      return value !== undefined && (value.type === "int" || value.type === "float")
        ? value.value
        : Number.NaN;
    };
    expect(silverRuns.reduce((sum, run) => sum + metric(run, "rows_read"), 0)).toBe(OBJECTS * ROWS_EACH);
    expect(silverRuns.reduce((sum, run) => sum + metric(run, "objects_processed"), 0)).toBe(OBJECTS);
    const checks = await storage.checkResults(SILVER_SALES_TABLE, {
      checkName: "reconciliation",
      limit: 10_000,
    });
    expect(checks.length).toBe(silverRuns.length);
    expect(checks.every((check) => check.passed)).toBe(true);
    const inserted = silverRuns.reduce((sum, run) => sum + metric(run, "inserted"), 0);
    const table = workspace.definitions.scope.resolve(DELTA_TABLES).table(SILVER_SALES_TABLE);
    expect((await table.read()).height).toBe(inserted);
    const durations = bySensor.map((run) => (run.endedAt ?? 0) - (run.startedAt ?? 0)).sort((a, b) => a - b);
    console.log(
      `landing-s3: ${bySensor.length} Bronze runs (p50 ${durations[Math.floor(durations.length / 2)]} ms), ${silverRuns.length} Silver run(s), ${inserted} rows inserted`,
    );
    await workspace.close();
  }, 600_000);
});
