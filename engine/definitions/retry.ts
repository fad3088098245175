import { quote, StrataError } from "../errors.ts";

export interface RetryPolicy {
  /** Retries after the first attempt (0 = run once). */
  readonly maxRetries: number;
  /** Delay before the first retry. */
  readonly delayMs: number;
  readonly backoff: "constant" | "exponential";
  /** Random extra delay, as a fraction of the delay (0..1): spreads retries of many steps. */
  readonly jitter: number;
}

export const NO_RETRY: RetryPolicy = { maxRetries: 0, delayMs: 0, backoff: "constant", jitter: 0 };

export function retryPolicy(options: Partial<RetryPolicy> & { maxRetries: number }): RetryPolicy {
  const policy: RetryPolicy = { delayMs: 1000, backoff: "exponential", jitter: 0.2, ...options };
  if (!Number.isInteger(policy.maxRetries) || policy.maxRetries < 0) {
    throw new StrataError(
      "STRATA_ERR_INVALID_OPTION",
      `retry.maxRetries ${quote(policy.maxRetries)} must be an integer ≥ 0.`,
    );
  }
  if (policy.delayMs < 0 || policy.jitter < 0 || policy.jitter > 1) {
    throw new StrataError(
      "STRATA_ERR_INVALID_OPTION",
      `retry delayMs ${quote(policy.delayMs)} must be ≥ 0 and jitter ${quote(policy.jitter)} within 0..1.`,
    );
  }
  return policy;
}

/** Delay before retry number `retry` (1-based). `random` is injectable for deterministic tests. */
export function retryDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = policy.backoff === "exponential" ? policy.delayMs * 2 ** (retry - 1) : policy.delayMs;
  return Math.round(base * (1 + policy.jitter * random()));
}
