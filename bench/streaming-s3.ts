/**
 * Landing object → Silver commit latency: one small CSV object is put into the landing zone, and
 * the clock runs until the Silver materialisation that holds it is recorded (the Delta commit is
 * just before it). The real Daemon runs the pipeline's landing sensor, Bronze and Silver (eager);
 * the same measurement on a local-folder lake runs side by side, so the S3 cost shows as a ratio.
 * Goal (issue 5): p95 ≤ 1 s on MinIO. The sensor interval is part of the latency: it is set to
 * 0.2 s here (the default of 15 s suits a batch landing zone, not this goal).
 *
 * Where a Silver run's time goes is printed too: its phases from the run's events (start → step,
 * step → materialization, materialization → end: checks and bookkeeping) and the lake requests made
 * while it ran, by table and kind (the Delta log is read again by every snapshot load; on a local
 * lake, files read through their local path, such as the Bronze objects, are not seen).
 *
 *   npm run bench -- s3          (STRATA_BENCH_S3_OBJECTS=40 to change the sample size)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { BronzeSalesCsv, LANDING_PREFIX } from "../assets/bronze/sales-csv.ts";
import { SILVER_QUARANTINE_TABLE, SILVER_SALES_TABLE, SilverSales } from "../assets/silver/sales.ts";
import { type DefinitionsModule, openWorkspace } from "../engine/cli/workspace.ts";
import { Daemon } from "../engine/daemon/daemon.ts";
import {
  bind,
  defineDefinitions,
  type EventRecord,
  type RunRecord,
  type RunStorage,
} from "../engine/index.ts";
import { loadConfig } from "../resources/config/config.ts";
import { openResources } from "../resources/container.ts";
import { LakeDeltaTables } from "../resources/delta/delta-tables.ts";
import type {
  ListOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
} from "../resources/object-store/object-store.ts";
import { openLake } from "../resources/object-store/open-lake.ts";
import { startMinio } from "../resources/object-store/testing/minio.ts";
import { DELTA_TABLES, LAKE } from "../resources/tokens.ts";
import { landingSensor } from "../sensors/landing.ts";
import { smallCsvFiles } from "../sensors/testing/landing-pipeline.ts";

const SENSOR_INTERVAL_SECONDS = 0.2;
const DAEMON_LOOP_MS = 50;
const GOAL_P95_MS = 1_000;

interface Latencies {
  readonly total: number[];
  readonly bronze: number[];
  readonly silver: number[];
  /** Per Silver run: milliseconds from run start to step start, step start to materialization, materialization to run end. */
  readonly phases: { readonly toStep: number[]; readonly materialize: number[]; readonly after: number[] };
  /** Per Silver run: lake requests (count, summed ms) by class, e.g. "silver/sales log get". */
  readonly requests: Map<string, { count: number; ms: number }>[];
}

interface LakeRequest {
  readonly what: string;
  readonly key: string;
  readonly start: number;
  readonly end: number;
}

/** The lake store with every request timed (the bench reads the log of the Silver run's window). */
class TimedStore implements ObjectStore {
  readonly requests: LakeRequest[] = [];

  constructor(private readonly inner: ObjectStore) {}

  get url(): string {
    return this.inner.url;
  }

  private async timed<T>(what: string, key: string, call: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      return await call();
    } finally {
      this.requests.push({ what, key, start, end: Date.now() });
    }
  }

  get(key: string): Promise<Uint8Array> {
    return this.timed("get", key, () => this.inner.get(key));
  }
  getIfExists(key: string): Promise<Uint8Array | undefined> {
    return this.timed("get", key, () => this.inner.getIfExists(key));
  }
  head(key: string): ReturnType<ObjectStore["head"]> {
    return this.timed("head", key, () => this.inner.head(key));
  }
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<ObjectInfo> {
    return this.timed("put", key, () => this.inner.put(key, body, options));
  }
  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    return this.timed("put", key, () => this.inner.putIfAbsent(key, body, options));
  }
  async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo> {
    const start = Date.now();
    try {
      yield* this.inner.list(prefix, options);
    } finally {
      this.requests.push({ what: "list", key: prefix, start, end: Date.now() });
    }
  }
  delete(key: string): Promise<void> {
    return this.timed("delete", key, () => this.inner.delete(key));
  }
  localPath(key: string): string | undefined {
    return this.inner.localPath(key);
  }
}

/** "silver/sales log get", "silver/sales data put", "bronze get", ...; undefined for the landing zone (the sensor's). */
function requestClass(request: LakeRequest): string | undefined {
  const log = /^(.*?)\/_delta_log\//.exec(request.key);
  if (log?.[1] !== undefined) return `${log[1]} log ${request.what}`;
  if (request.key.startsWith("silver/")) {
    const table = request.key.startsWith(`${SILVER_QUARANTINE_TABLE}/`)
      ? SILVER_QUARANTINE_TABLE
      : SILVER_SALES_TABLE;
    return `${table} data ${request.what}`;
  }
  if (request.key.startsWith("bronze/")) return `bronze ${request.what}`;
  return undefined;
}

/** The landing pipeline of sensors/testing/landing-pipeline.ts, with the lake behind a TimedStore. */
function timedLandingPipeline(onLake: (lake: TimedStore) => void): DefinitionsModule {
  return {
    definitions: async ({ stateDir }) => {
      const config = loadConfig(process.env, process.cwd(), { stateDir });
      const resources = await openResources(config);
      const opened = openLake(config.lake);
      const lake = new TimedStore(opened.store);
      onLake(lake);
      const replaced = new Set([LAKE.id, DELTA_TABLES.id]);
      return defineDefinitions({
        assets: [BronzeSalesCsv, SilverSales],
        sensors: [landingSensor(config.landingSensorIntervalSeconds)],
        resources: [
          ...resources.bindings.filter((binding) => !replaced.has(binding.token.id)),
          bind.value(LAKE, lake),
          bind.value(DELTA_TABLES, new LakeDeltaTables(lake)),
        ],
        teardown: async () => {
          await resources.close();
          opened.close();
        },
      });
    },
  };
}

/** The run once it has ended (startedAt and endedAt set). */
async function endedRun(storage: RunStorage, runId: string, since: number): Promise<RunRecord> {
  for (;;) {
    const run = await storage.getRun(runId);
    if (run?.endedAt !== undefined) return run;
    if (Date.now() - since > 60_000) throw new Error(`run ${runId} did not end within 60 s`);
    await sleep(10);
  }
}

function eventTime(events: readonly EventRecord[], type: string, assetKey?: string): number | undefined {
  return events.find(
    (event) => event.type === type && (assetKey === undefined || event.assetKey === assetKey),
  )?.timestamp;
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
  let timed: TimedStore | undefined;
  const workspace = await openWorkspace(
    timedLandingPipeline((lake) => {
      timed = lake;
    }),
    { stateDir },
  );
  const { storage, materializer, backfills, clock } = workspace;
  const daemon = new Daemon(storage, materializer, backfills, clock, {
    maxConcurrentRuns: 4,
    loopIntervalMs: DAEMON_LOOP_MS,
    onError: (error) => console.error(`  daemon: ${error.message}`),
  });
  const lake = workspace.definitions.scope.resolve(LAKE);
  const files = smallCsvFiles(count + 1, 3, seed);
  const latencies: Latencies = {
    total: [],
    bronze: [],
    silver: [],
    phases: { toStep: [], materialize: [], after: [] },
    requests: [],
  };
  try {
    daemon.start();
    // One warm-up object (first Silver run creates the tables), not measured.
    for (let i = 0; i <= count; i++) {
      const seen = (await storage.materializations(SILVER_SALES_TABLE, { limit: 100_000 })).length;
      timed?.requests.splice(0);
      const started = Date.now();
      await lake.put(`${LANDING_PREFIX}bench-${seed}-${i}.csv`, files[i] ?? new Uint8Array());
      for (;;) {
        const records = await storage.materializations(SILVER_SALES_TABLE, { limit: 100_000 });
        const newest = records[0];
        if (records.length > seen && newest !== undefined) {
          // The Silver run ends a little after its materialization (checks, bookkeeping): wait for
          // it, so its duration is known and the next object does not overlap it.
          const silver = await endedRun(storage, newest.runId, started);
          if (i > 0) {
            latencies.total.push(newest.timestamp - started);
            const runs = await storage.listRuns({ limit: 4 });
            const bronze = runs.find((run) => run.assetKeys.includes("bronze/sales_csv"));
            if (bronze?.startedAt !== undefined && bronze.endedAt !== undefined)
              latencies.bronze.push(bronze.endedAt - bronze.startedAt);
            if (silver.startedAt !== undefined && silver.endedAt !== undefined) {
              const { startedAt, endedAt } = silver;
              latencies.silver.push(endedAt - startedAt);
              const events = await storage.listEvents(silver.runId);
              const step = eventTime(events, "STEP_STARTED");
              const materialized = eventTime(events, "ASSET_MATERIALIZATION", SILVER_SALES_TABLE);
              if (step !== undefined && materialized !== undefined) {
                latencies.phases.toStep.push(step - startedAt);
                latencies.phases.materialize.push(materialized - step);
                latencies.phases.after.push(endedAt - materialized);
              }
              const byClass = new Map<string, { count: number; ms: number }>();
              for (const request of timed?.requests ?? []) {
                const what = requestClass(request);
                if (what === undefined || request.start < startedAt || request.end > endedAt) continue;
                const sum = byClass.get(what) ?? { count: 0, ms: 0 };
                sum.count++;
                sum.ms += request.end - request.start;
                byClass.set(what, sum);
              }
              latencies.requests.push(byClass);
            }
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

/** Silver run phases (p50) and its mean lake requests per run, by class, costliest first. */
function breakdown(where: string, latencies: Latencies): string[] {
  const { toStep, materialize, after } = latencies.phases;
  const runs = Math.max(1, latencies.requests.length);
  const totals = new Map<string, { count: number; ms: number }>();
  for (const run of latencies.requests) {
    for (const [what, sum] of run) {
      const total = totals.get(what) ?? { count: 0, ms: 0 };
      total.count += sum.count;
      total.ms += sum.ms;
      totals.set(what, total);
    }
  }
  const sorted = [...totals].sort((a, b) => b[1].ms - a[1].ms);
  const count = sorted.reduce((n, [, sum]) => n + sum.count, 0) / runs;
  const ms = sorted.reduce((n, [, sum]) => n + sum.ms, 0) / runs;
  const parts = sorted.map(
    ([what, sum]) => `${what} ${(sum.count / runs).toFixed(1)}× ${(sum.ms / runs).toFixed(0)} ms`,
  );
  return [
    `  ${where}: Silver run phases p50: start → step ${quantile(toStep, 0.5).toFixed(0)} ms, step → materialization ${quantile(materialize, 0.5).toFixed(0)} ms, materialization → end ${quantile(after, 0.5).toFixed(0)} ms`,
    `  ${where}: lake requests per Silver run (mean) ${count.toFixed(1)}, ${ms.toFixed(0)} ms: ${parts.join(", ")}`,
  ];
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
    for (const text of breakdown("MinIO", s3)) console.log(text);
    console.log(`  local: ${line("landing → Silver", local.total)}`);
    console.log(`  local: ${line("Bronze run", local.bronze)}; ${line("Silver run", local.silver)}`);
    for (const text of breakdown("local", local)) console.log(text);
    console.log(
      `  ratio MinIO/local p50 ${(quantile(s3.total, 0.5) / quantile(local.total, 0.5)).toFixed(2)}, p95 ${(quantile(s3.total, 0.95) / quantile(local.total, 0.95)).toFixed(2)}`,
    );
  } finally {
    await minio.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchS3();
