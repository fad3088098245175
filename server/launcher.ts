import {
  type BackfillRecord,
  type MaterializeRequest,
  quote,
  type RunRecord,
  StrataError,
  type Workspace,
} from "../engine/index.ts";

export interface LauncherOptions {
  /**
   * Who executes backfills: "inline" runs them in the server process; "daemon" only records them,
   * for the daemon of `strata dev`, which resumes every requested backfill (running them here too
   * would run each partition twice).
   */
  readonly backfills: "inline" | "daemon";
  readonly onError: (error: unknown) => void;
}

/**
 * Launches what the API asks for. Runs are submitted (validated, recorded as queued) and executed
 * in this process at once, so the answer carries a run id and progress streams from the first
 * event; the work itself continues after the HTTP answer. `drain()` waits for it on shutdown.
 */
export class Launcher {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly workspace: Workspace,
    private readonly options: LauncherOptions,
  ) {}

  async launch(request: MaterializeRequest): Promise<RunRecord> {
    const run = await this.workspace.materializer.submit(request);
    this.track(
      this.workspace.materializer.execute(run.runId).catch((error: unknown) => {
        // Another launcher (the daemon's queue) claimed it first: it runs there, nothing is lost.
        if (StrataError.is(error, "STRATA_ERR_UNKNOWN_RUN")) return;
        this.options.onError(error);
      }),
    );
    return run;
  }

  async backfill(request: { selection: string; from: string; to: string }): Promise<BackfillRecord> {
    const backfill = await this.workspace.backfills.create(request);
    if (this.options.backfills === "inline")
      this.track(this.workspace.backfills.run(backfill.backfillId).catch(this.options.onError));
    return backfill;
  }

  async cancelBackfill(backfillId: string): Promise<BackfillRecord> {
    return this.workspace.backfills.cancel(backfillId);
  }

  /**
   * Cancel a queued or executing run; one executing in another process records the request (its
   * `cancelRequestedAt`) and that process stops it. An ended run is a state error.
   */
  async cancel(runId: string): Promise<RunRecord> {
    const run = await this.workspace.storage.getRun(runId);
    if (!run) throw new StrataError("STRATA_ERR_UNKNOWN_RUN", `run ${quote(runId)} does not exist.`);
    if (!(await this.workspace.materializer.cancel(runId))) {
      const ended = (await this.workspace.storage.getRun(runId)) ?? run;
      throw new StrataError(
        "STRATA_ERR_RUN_STATE",
        `run ${quote(runId)} has already ended (${ended.status}).`,
      );
    }
    return (await this.workspace.storage.getRun(runId)) ?? run;
  }

  /** Wait for everything launched here (runs and inline backfills). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}
