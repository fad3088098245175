import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { RunContext } from "../definitions/context.ts";
import type { LoadedDefinitions } from "../definitions/definitions.ts";
import { IO_MANAGER, RUN_CONTEXT } from "../di/tokens.ts";
import { asError, quote, StrataError } from "../errors.ts";
import { selectAssets } from "../graph/selection.ts";
import type { PartitionRange, RunRecord, RunStatus } from "../storage/records.ts";
import type { RunStorage } from "../storage/run-storage.ts";
import { type Clock, systemClock } from "./clock.ts";
import { FileSystemIOManager, type IOManager } from "./io-manager.ts";
import { buildPlan, type PlanStep } from "./plan.ts";
import { type EventListener, RunEventWriter } from "./run-events.ts";
import { runStep, type StepEnvironment, type StepOutcome } from "./step-runner.ts";

/** How often a run executing here checks for a cancel request made by another process. */
export const CANCEL_POLL_MS = 250;

export interface MaterializeRequest {
  readonly selection: string;
  readonly partition?: string;
  readonly partitionRange?: PartitionRange;
  readonly tags?: Readonly<Record<string, string>>;
  readonly origin?: RunRecord["origin"];
  readonly runKey?: string;
  readonly backfillId?: string;
}

export interface MaterializerOptions {
  /** Steps run at once within a run. */
  readonly concurrency?: number;
  readonly clock?: Clock;
  /** Used when the container binds no IO_MANAGER. */
  readonly ioManager?: IOManager;
  /** Folder for the default file IO manager. */
  readonly stateDir?: string;
  /** Jitter source, injectable for deterministic tests. */
  readonly random?: () => number;
}

export interface RunResult {
  readonly runId: string;
  readonly status: RunStatus;
  readonly steps: ReadonlyMap<string, StepOutcome>;
}

/**
 * Turns a selection (and partition or range) into a plan and runs it: topological order, bounded
 * concurrency, a child container per run holding its RunContext, retries, checks, downstream
 * skipped when an upstream fails. Every state change is an event in run storage.
 */
export class Materializer {
  private readonly clock: Clock;
  private readonly concurrency: number;
  private readonly io: IOManager;
  private readonly active = new Map<string, AbortController>();
  private readonly listeners = new Set<EventListener>();

  constructor(
    readonly definitions: LoadedDefinitions,
    readonly storage: RunStorage,
    private readonly options: MaterializerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.io = definitions.scope.isBound(IO_MANAGER)
      ? definitions.scope.resolve(IO_MANAGER)
      : (options.ioManager ?? new FileSystemIOManager(join(options.stateDir ?? ".strata", "io")));
  }

  /** Listen to every event of runs executed by this materializer (live progress, UI streams). */
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Validate a request and build its queued run record, without storing it (sensors commit it with their cursor). */
  prepare(request: MaterializeRequest): RunRecord {
    // A selected key of a multi-asset runs the whole definition: record every key it materialises.
    const graph = this.definitions.graph;
    const selected = new Set(
      selectAssets(graph, request.selection).flatMap((key) => graph.definition(key).spec.keys),
    );
    const assetKeys = graph.order.filter((key) => selected.has(key));
    buildPlan(this.definitions.graph, assetKeys, request, this.clock.now());
    const run: RunRecord = {
      runId: randomUUID(),
      status: "queued",
      assetKeys,
      selection: request.selection,
      tags: request.tags ?? {},
      createdAt: this.clock.now(),
      ...(request.partition !== undefined && { partition: request.partition }),
      ...(request.partitionRange !== undefined && { partitionRange: request.partitionRange }),
      ...(request.origin !== undefined && { origin: request.origin }),
      ...(request.runKey !== undefined && { runKey: request.runKey }),
      ...(request.backfillId !== undefined && { backfillId: request.backfillId }),
    };
    return run;
  }

  /** Validate a request and record it as a queued run. */
  async submit(request: MaterializeRequest): Promise<RunRecord> {
    const run = this.prepare(request);
    await this.storage.createRun(run);
    return run;
  }

  /** Submit and execute in one go. */
  async materialize(request: MaterializeRequest): Promise<RunResult> {
    const run = await this.submit(request);
    return this.execute(run.runId);
  }

  /**
   * Cancel a run: one executing in this process is aborted at once, a queued one never starts, and
   * one executing in another process is asked to stop (that process aborts it within
   * CANCEL_POLL_MS). Returns false when the run has already ended or does not exist.
   */
  async cancel(runId: string): Promise<boolean> {
    const controller = this.active.get(runId);
    if (controller) {
      controller.abort();
      return true;
    }
    const run = await this.storage.getRun(runId);
    if (run?.status === "queued") {
      await this.storage.updateRun(runId, { status: "canceled", endedAt: this.clock.now() });
      return true;
    }
    if (run?.status !== "started") return false;
    await this.storage.updateRun(runId, { cancelRequestedAt: this.clock.now() });
    return true;
  }

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  /** Execute a queued run. Claiming it first makes two launchers never run it twice. */
  async execute(runId: string): Promise<RunResult> {
    const run = await this.storage.getRun(runId);
    if (!run) throw new StrataError("STRATA_ERR_UNKNOWN_RUN", `run ${quote(runId)} does not exist.`);
    // Taken before the claim, so an event recorded at the same moment counts as unseen (safe side).
    const startEventMark = await this.storage.latestEventId();
    if (!(await this.storage.claimRun(runId, this.clock.now()))) {
      throw new StrataError("STRATA_ERR_UNKNOWN_RUN", `run ${quote(runId)} is ${run.status}, not queued.`);
    }
    const controller = new AbortController();
    this.active.set(runId, controller);
    const stopWatching = this.watchForCancelRequest(runId, controller);
    const events = new RunEventWriter(this.storage, this.clock, runId, this.listeners);
    try {
      await this.storage.updateRun(runId, { startEventMark });
      return await this.executeClaimed(run, controller, events);
    } finally {
      stopWatching();
      this.active.delete(runId);
    }
  }

  /** Aborts the run when another process records a cancel request for it (see cancel()). */
  private watchForCancelRequest(runId: string, controller: AbortController): () => void {
    let checking = false;
    const timer = setInterval(() => {
      if (checking || controller.signal.aborted) return;
      checking = true;
      this.storage
        .getRun(runId)
        .then((current) => {
          if (current?.cancelRequestedAt !== undefined) controller.abort();
        })
        // A storage hiccup must not end the run; the next poll tries again.
        .catch(() => undefined)
        .finally(() => {
          checking = false;
        });
    }, CANCEL_POLL_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async executeClaimed(
    run: RunRecord,
    controller: AbortController,
    events: RunEventWriter,
  ): Promise<RunResult> {
    const steps = new Map<string, StepOutcome>();
    let status: RunStatus = "failure";
    let runError: string | undefined;
    events.emit("RUN_STARTED", `run started: ${run.selection}`, { data: { assetKeys: [...run.assetKeys] } });
    try {
      const graph = this.definitions.graph;
      const keys = run.assetKeys.map((key) => {
        if (!graph.has(key))
          throw new StrataError("STRATA_ERR_INVALID_SELECTION", `run asset ${quote(key)} no longer exists.`);
        return key;
      });
      const plan = buildPlan(graph, keys, run, this.clock.now());
      const context: RunContext = {
        runId: run.runId,
        tags: run.tags,
        signal: controller.signal,
        now: () => this.clock.now(),
        ...(run.partition !== undefined && { partition: run.partition }),
        ...(run.partitionRange !== undefined && { partitionRange: run.partitionRange }),
      };
      const env: StepEnvironment = {
        graph: this.definitions.graph,
        checks: this.definitions.checks,
        scope: this.definitions.scope.child([{ token: RUN_CONTEXT, value: context }]),
        run: context,
        io: this.io,
        events,
        clock: this.clock,
        random: this.options.random ?? Math.random,
        values: new Map(),
      };
      await this.runPlan(plan, env, steps);
      const outcomes = [...steps.values()];
      status =
        controller.signal.aborted || outcomes.some((o) => o.status === "canceled")
          ? "canceled"
          : outcomes.every((o) => o.status === "success")
            ? "success"
            : "failure";
      if (status === "failure") {
        const failed = [...steps].filter(([, o]) => o.status === "failure").map(([id]) => id);
        runError = `steps failed: ${failed.join(", ")}`;
      }
    } catch (error) {
      runError = asError(error).message;
    }
    const type =
      status === "success" ? "RUN_SUCCESS" : status === "canceled" ? "RUN_CANCELED" : "RUN_FAILURE";
    events.emit(type, `run ${status}${runError ? `: ${runError}` : ""}`, {
      level: status === "success" ? "info" : "error",
    });
    try {
      await events.flush();
    } catch (error) {
      status = "failure";
      runError = `event log write failed: ${asError(error).message}`;
    }
    await this.storage.updateRun(run.runId, {
      status,
      endedAt: this.clock.now(),
      ...(runError !== undefined && { error: runError }),
    });
    return { runId: run.runId, status, steps };
  }

  /** Run steps as their dependencies finish, at most `concurrency` at once. */
  private async runPlan(
    plan: readonly PlanStep[],
    env: StepEnvironment,
    outcomes: Map<string, StepOutcome>,
  ): Promise<void> {
    const pending = new Map(plan.map((step) => [step.id, step]));
    const running = new Map<string, Promise<void>>();
    while (pending.size > 0 || running.size > 0) {
      for (const step of [...pending.values()]) {
        if (running.size >= this.concurrency) break;
        const blocking = step.dependsOn.map((id) => ({ id, outcome: outcomes.get(id) }));
        if (blocking.some((b) => b.outcome === undefined)) continue;
        pending.delete(step.id);
        const failedParent = blocking.find((b) => b.outcome?.status !== "success");
        if (env.run.signal.aborted || failedParent) {
          const reason = env.run.signal.aborted
            ? "run cancelled"
            : `upstream ${failedParent?.id} did not succeed`;
          outcomes.set(step.id, { status: "skipped", reason });
          env.events.emit("STEP_SKIPPED", `step ${step.id} skipped: ${reason}`, {
            ...(step.keys[0] !== undefined && { assetKey: step.keys[0] }),
            ...(step.partition !== undefined && { partition: step.partition }),
            data: { reason },
          });
          continue;
        }
        running.set(
          step.id,
          runStep(env, step).then((outcome) => {
            outcomes.set(step.id, outcome);
            running.delete(step.id);
          }),
        );
      }
      if (running.size > 0) await Promise.race(running.values());
      else if (
        pending.size > 0 &&
        ![...pending.values()].some((s) => s.dependsOn.every((id) => outcomes.has(id)))
      ) {
        throw new StrataError(
          "STRATA_ERR_STEP_FAILED",
          `plan is stuck: ${[...pending.keys()].join(", ")} wait on steps outside the plan.`,
        );
      }
    }
  }
}
