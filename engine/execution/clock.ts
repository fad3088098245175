import { StrataError } from "../errors.ts";

/** Time as the engine sees it; tests inject a manual clock so schedules and retries are deterministic. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with STRATA_ERR_RUN_CANCELLED when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export function cancelledError(what: string): StrataError {
  return new StrataError("STRATA_ERR_RUN_CANCELLED", `${what} was cancelled.`);
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(cancelledError("the wait"));
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(cancelledError("the wait"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** A clock that only moves when told to: `advance` releases the sleeps it passes. */
export class ManualClock implements Clock {
  private sleepers: { until: number; resolve: () => void }[] = [];

  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.sleepers.push({ until: this.current + ms, resolve }));
  }

  set(instant: number): void {
    this.current = instant;
    const due = this.sleepers.filter((sleeper) => sleeper.until <= instant);
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.until > instant);
    for (const sleeper of due) sleeper.resolve();
  }

  advance(ms: number): void {
    this.set(this.current + ms);
  }
}
