import { asError } from "../errors.ts";
import type { Backfills } from "../execution/backfill.ts";
import type { Clock } from "../execution/clock.ts";
import type { Materializer, RunResult } from "../execution/materializer.ts";
import { type RetentionPolicy, RUN_PRIORITY_TAG, type RunRecord } from "../storage/records.ts";
import type { RunStorage } from "../storage/run-storage.ts";
import { AutomationEvaluator } from "./automation.ts";
import { tickSchedule } from "./schedule-runner.ts";
import { tickSensor } from "./sensor-runner.ts";

export interface DaemonOptions {
  /** Runs executed at once by this daemon. */
  readonly maxConcurrentRuns?: number;
  /** Pause between loop iterations. */
  readonly loopIntervalMs?: number;
  readonly onError?: (error: Error) => void;
  /** Event-log retention, applied at most once per `retentionIntervalMs` (default hourly). */
  readonly retention?: RetentionPolicy;
  readonly retentionIntervalMs?: number;
}

/**
 * One loop for everything that happens by itself: sensors, schedules, automation, queued runs and
 * interrupted backfills. Each `tick()` is one pass; `start()` repeats it until `stop()`.
 */
export class Daemon {
  private readonly automation: AutomationEvaluator;
  private readonly inFlight = new Map<string, Promise<RunResult | undefined>>();
  private readonly backfillsInFlight = new Set<string>();
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly storage: RunStorage,
    private readonly materializer: Materializer,
    private readonly backfills: Backfills,
    private readonly clock: Clock,
    private readonly options: DaemonOptions = {},
  ) {
    this.automation = new AutomationEvaluator(storage, materializer, clock);
  }

  async tick(): Promise<void> {
    const { sensors, schedules } = this.materializer.definitions;
    const deps = {
      storage: this.storage,
      materializer: this.materializer,
      clock: this.clock,
      signal: this.controller.signal,
    };
    for (const sensor of sensors) await this.guard(() => tickSensor(sensor, deps));
    for (const schedule of schedules) await this.guard(() => tickSchedule(schedule, deps));
    await this.guard(() => this.automation.tick());
    await this.guard(() => this.resumeBackfills());
    await this.guard(() => this.launchQueued());
    await this.guard(() => this.applyRetention());
  }

  /** Keeps the event log bounded: prunes old runs and ticks on the configured cadence. */
  private async applyRetention(): Promise<void> {
    const retention = this.options.retention;
    if (!retention) return;
    const now = this.clock.now();
    const last = Number((await this.storage.getCursor("daemon:retention_last_run")) ?? 0);
    if (now - last < (this.options.retentionIntervalMs ?? 3_600_000)) return;
    await this.storage.setCursor("daemon:retention_last_run", String(now));
    await this.storage.prune(retention, now);
  }

  /** Wait until every run this daemon launched has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  start(): void {
    if (this.loop) return;
    const interval = this.options.loopIntervalMs ?? 1000;
    this.loop = (async () => {
      while (!this.controller.signal.aborted) {
        await this.tick();
        await this.clock.sleep(interval, this.controller.signal).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.loop;
    await this.drain();
  }

  private async launchQueued(): Promise<void> {
    const limit = this.options.maxConcurrentRuns ?? 2;
    const queued = launchOrder(
      await this.storage.listRuns({ statuses: ["queued"], oldestFirst: true, limit: QUEUE_SCAN_LIMIT }),
    );
    for (const run of queued) {
      if (this.inFlight.size >= limit) return;
      if (this.inFlight.has(run.runId) || run.backfillId !== undefined) continue;
      const execution = this.materializer
        .execute(run.runId)
        .catch((error: unknown) => {
          this.report(error); // another launcher claimed it first, or storage failed
          return undefined;
        })
        .finally(() => this.inFlight.delete(run.runId));
      this.inFlight.set(run.runId, execution);
    }
  }

  /** Backfills left in `requested` (e.g. by a crash) are continued from their first unfinished partition. */
  private async resumeBackfills(): Promise<void> {
    for (const backfill of await this.storage.listBackfills(50)) {
      if (backfill.status !== "requested" || this.backfillsInFlight.has(backfill.backfillId)) continue;
      this.backfillsInFlight.add(backfill.backfillId);
      const done = this.backfills
        .run(backfill.backfillId)
        .then(() => undefined)
        .catch((error: unknown) => this.report(error))
        .finally(() => {
          this.backfillsInFlight.delete(backfill.backfillId);
          this.inFlight.delete(`backfill:${backfill.backfillId}`);
        });
      this.inFlight.set(
        `backfill:${backfill.backfillId}`,
        done.then(() => undefined),
      );
    }
  }

  private async guard(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    const onError =
      this.options.onError ?? ((e: Error) => process.stderr.write(`strata daemon: ${e.message}\n`));
    onError(asError(error));
  }
}

/** Queued runs looked at per tick, oldest first. */
const QUEUE_SCAN_LIMIT = 10_000;

/**
 * Higher `strata/priority` first (as Dagster's run-priority tag), then oldest first. Eager
 * automation raises its runs so that work already ingested drains downstream before more starts.
 */
function launchOrder(queued: readonly RunRecord[]): RunRecord[] {
  const priority = (run: RunRecord): number => {
    const value = Number(run.tags[RUN_PRIORITY_TAG] ?? 0);
    return Number.isFinite(value) ? value : 0;
  };
  // Array.prototype.sort is stable, so equal priorities keep their creation order.
  return [...queued].sort((a, b) => priority(b) - priority(a));
}
