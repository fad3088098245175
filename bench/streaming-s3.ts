/**
 * Landing object → Silver commit latency: one small CSV object is put into the landing zone, and
 * the clock runs until the Silver materialisation that holds it is recorded (the Delta commit is
 * just before it). The real Daemon runs the pipeline's landing sensor, Bronze and Silver (eager);
 * the same measurement on a local-folder lake runs side by side, so the S3 cost shows as a ratio.
 * Goal (issue 5): p95 ≤ 1 s on MinIO. The sensor interval is part of the latency: it is set to
 * 0.2 s here (the default of 15 s suits a batch landing zone, not this goal).
 *
 *   npm run bench -- s3          (STRATA_BENCH_S3_OBJECTS=40 to change the sample size)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LANDING_PREFIX } from "../assets/bronze/sales-csv.ts";
import { SILVER_SALES_TABLE } from "../assets/silver/sales.ts";
import { openWorkspace } from "../engine/cli/workspace.ts";
import { Daemon } from "../engine/daemon/daemon.ts";
import { startMinio } from "../resources/object-store/testing/minio.ts";
import { LAKE } from "../resources/tokens.ts";
import { landingPipeline, smallCsvFiles } from "../sensors/testing/landing-pipeline.ts";

const SENSOR_INTERVAL_SECONDS = 0.2;
const DAEMON_LOOP_MS = 50;
const GOAL_P95_MS = 1_000;

interface Latencies {
  readonly total: number[];
  readonly bronze: number[];
  readonly silver: number[];
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** Lands `count` objects one at a time, each after the previous reached Silver. */
async function measure(
  env: Readonly<Record<string, string>>,
  count: number,
  seed: number,
): Promise<Latencies> {
  const saved = { ...process.env };
  Object.assign(process.env, env, {
    STRATA_LANDING_SENSOR_INTERVAL_SECONDS: String(SENSOR_INTERVAL_SECONDS),
  });
  const stateDir = mkdtempSync(join(tmpdir(), "strata-bench-s3-"));
  const workspace = await openWorkspace(landingPipeline, { stateDir });
  const { storage, materializer, backfills, clock } = workspace;
  const daemon = new Daemon(storage, materializer, backfills, clock, {
    maxConcurrentRuns: 4,
    loopIntervalMs: DAEMON_LOOP_MS,
    onError: (error) => console.error(`  daemon: ${error.message}`),
  });
  const lake = workspace.definitions.scope.resolve(LAKE);
  const files = smallCsvFiles(count + 1, 3, seed);
  const latencies: Latencies = { total: [], bronze: [], silver: [] };
  try {
    daemon.start();
    // One warm-up object (first Silver run creates the tables), not measured.
    for (let i = 0; i <= count; i++) {
      const seen = (await storage.materializations(SILVER_SALES_TABLE, { limit: 100_000 })).length;
      const started = Date.now();
      await lake.put(`${LANDING_PREFIX}bench-${seed}-${i}.csv`, files[i] ?? new Uint8Array());
      for (;;) {
        const records = await storage.materializations(SILVER_SALES_TABLE, { limit: 100_000 });
        const newest = records[0];
        if (records.length > seen && newest !== undefined) {
          if (i > 0) {
            latencies.total.push(newest.timestamp - started);
            const runs = await storage.listRuns({ limit: 4 });
            const bronze = runs.find((run) => run.assetKeys.includes("bronze/sales_csv"));
            const silver = runs.find((run) => run.runId === newest.runId);
            if (bronze !== undefined) latencies.bronze.push((bronze.endedAt ?? 0) - (bronze.startedAt ?? 0));
            if (silver !== undefined) latencies.silver.push((silver.endedAt ?? 0) - (silver.startedAt ?? 0));
          }
          break;
        }
        if (Date.now() - started > 60_000) throw new Error(`object ${i} did not reach Silver within 60 s`);
        await sleep(10);
      }
    }
  } finally {
    await daemon.stop();
    await workspace.close();
    rmSync(stateDir, { recursive: true, force: true });
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
  return latencies;
}

function line(label: string, values: readonly number[]): string {
  return `${label} p50 ${quantile(values, 0.5).toFixed(0)} ms, p95 ${quantile(values, 0.95).toFixed(0)} ms`;
}

export async function benchS3(): Promise<void> {
  const count = Number(process.env.STRATA_BENCH_S3_OBJECTS ?? 30);
  const minio = await startMinio();
  try {
    const local = await measure(
      { STRATA_LAKE: join(mkdtempSync(join(tmpdir(), "strata-bench-lake-")), "lake") },
      count,
      1,
    );
    const s3 = await measure(minio.configEnv("bench"), count, 2);
    console.log(
      `s3: landing object → Silver commit, ${count} objects one at a time, sensor every ${SENSOR_INTERVAL_SECONDS} s, daemon loop ${DAEMON_LOOP_MS} ms`,
    );
    console.log(
      `  MinIO: ${line("landing → Silver", s3.total)} (goal p95 ≤ ${GOAL_P95_MS} ms: ${quantile(s3.total, 0.95) <= GOAL_P95_MS ? "met" : "NOT met"})`,
    );
    console.log(`  MinIO: ${line("Bronze run", s3.bronze)}; ${line("Silver run", s3.silver)}`);
    console.log(`  local: ${line("landing → Silver", local.total)}`);
    console.log(`  local: ${line("Bronze run", local.bronze)}; ${line("Silver run", local.silver)}`);
    console.log(
      `  ratio MinIO/local p50 ${(quantile(s3.total, 0.5) / quantile(local.total, 0.5)).toFixed(2)}, p95 ${(quantile(s3.total, 0.95) / quantile(local.total, 0.95)).toFixed(2)}`,
    );
  } finally {
    await minio.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchS3();
