import type { S3ClientConfig } from "@aws-sdk/client-s3";

/** The SDK's retry-strategy (v2) contract, taken from the client's own config type. */
type RetryStrategyV2 = Extract<NonNullable<S3ClientConfig["retryStrategy"]>, { recordSuccess: unknown }>;
type RetryToken = Awaited<ReturnType<RetryStrategyV2["acquireInitialRetryToken"]>>;
type RetryErrorInfo = Parameters<RetryStrategyV2["refreshRetryTokenForRetry"]>[1];

export interface BackoffOptions {
  /** Total attempts per request, the first included. */
  readonly maxAttempts: number;
  /** Ceiling of the first retry's delay; doubles per retry. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Throttling (503 SlowDown) backs off this many times harder than a plain 5xx. */
  readonly throttlingFactor: number;
  /** Injectable for tests; uniform in [0, 1). */
  readonly random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  throttlingFactor: 4,
  random: Math.random,
};

function token(retryCount: number, delay: number): RetryToken {
  return { getRetryCount: () => retryCount, getRetryDelay: () => delay };
}

/**
 * Exponential backoff with full jitter (delay uniform in [0, min(max, base·2^n)]) for the errors S3
 * asks clients to retry: throttling (503 SlowDown, 429), transient network errors and 5xx. Full
 * jitter spreads many writers hitting one prefix, so they do not retry in lock-step. Client errors
 * (4xx: missing key, access denied, a failed precondition) are final. Unlike the SDK's standard
 * strategy there is no shared retry-token bucket: a burst of throttling on a busy lake should slow
 * every request down, not make later requests fail without trying.
 */
export class BackoffRetryStrategy implements RetryStrategyV2 {
  private readonly options: BackoffOptions;

  constructor(options: Partial<BackoffOptions> = {}) {
    this.options = { ...DEFAULT_BACKOFF, ...options };
  }

  async acquireInitialRetryToken(_scope: string): Promise<RetryToken> {
    return token(0, 0);
  }

  async refreshRetryTokenForRetry(previous: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const retries = previous.getRetryCount() + 1;
    // 501 Not Implemented (e.g. SSE on a server without a KMS) is a 5xx that no retry can fix.
    const permanent = info.errorType === "CLIENT_ERROR" || info.error?.$metadata?.httpStatusCode === 501;
    if (permanent || retries >= this.options.maxAttempts) {
      // The SDK rethrows the request's own error when the strategy refuses a retry.
      throw new Error(`no retry: ${info.errorType} after ${retries} attempt(s)`);
    }
    return token(retries, this.delayFor(retries, info));
  }

  recordSuccess(_token: RetryToken): void {}

  /** The delay before retry number `retries` (1-based). */
  delayFor(retries: number, info: Pick<RetryErrorInfo, "errorType" | "retryAfterHint">): number {
    const { baseDelayMs, maxDelayMs, throttlingFactor, random } = this.options;
    const base = info.errorType === "THROTTLING" ? baseDelayMs * throttlingFactor : baseDelayMs;
    const ceiling = Math.min(maxDelayMs, base * 2 ** (retries - 1));
    const jittered = Math.floor(random() * ceiling);
    const hinted = info.retryAfterHint === undefined ? 0 : info.retryAfterHint.getTime() - Date.now();
    return Math.min(maxDelayMs, Math.max(jittered, hinted));
  }
}
