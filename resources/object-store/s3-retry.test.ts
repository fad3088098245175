/**
 * Retries of the S3 store against a fake S3 endpoint on loopback that answers with scripted
 * statuses: throttling and 5xx are retried with backoff until success or the attempt limit; client
 * errors and 501 are not retried. No MinIO needed.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StrataError } from "../../engine/errors.ts";
import { S3ObjectStore } from "./s3-object-store.ts";
import { BackoffRetryStrategy } from "./s3-retry.ts";

interface Scripted {
  readonly status: number;
  readonly code: string;
}

let server: Server;
let endpoint: string;
let script: Scripted[] = [];
let requests: { method: string; url: string }[] = [];

function errorXml(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>scripted ${code}</Message><RequestId>r</RequestId></Error>`;
}

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      requests.push({ method: request.method ?? "", url: request.url ?? "" });
      const next = script.shift();
      if (next !== undefined) {
        response.writeHead(next.status, { "content-type": "application/xml" });
        response.end(request.method === "HEAD" ? undefined : errorXml(next.code));
        return;
      }
      response.writeHead(200, { etag: '"abc"', "content-length": "2" });
      response.end(request.method === "HEAD" ? undefined : "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  endpoint = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  script = [];
  requests = [];
});

function store(maxAttempts = 4): S3ObjectStore {
  return new S3ObjectStore(
    {
      bucket: "lake",
      prefix: "p",
      region: "us-east-1",
      endpoint,
      credentials: { accessKeyId: "test-key", secretAccessKey: "test-secret-not-real" },
      sse: "none",
    },
    { retry: { maxAttempts, baseDelayMs: 2, maxDelayMs: 20 } },
  );
}

async function failure(promise: Promise<unknown>): Promise<StrataError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!StrataError.is(error)) throw new Error(`expected a StrataError, got ${String(error)}`);
  return error;
}

describe("S3 retries", () => {
  it("retries 503 SlowDown and 500 until the request succeeds", async () => {
    script = [
      { status: 503, code: "SlowDown" },
      { status: 500, code: "InternalError" },
      { status: 503, code: "SlowDown" },
    ];
    const info = await store().put("k", new TextEncoder().encode("ok"));
    expect(info.etag).toBe("abc");
    expect(requests.map((r) => r.method)).toEqual(["PUT", "PUT", "PUT", "PUT"]);
    expect(requests[0]?.url).toMatch(/^\/lake\/p\/k\b/); // path-style: bucket, then prefix + key
  });

  it("gives up after maxAttempts with a coded error naming the S3 code, never the secret", async () => {
    script = Array.from({ length: 10 }, () => ({ status: 503, code: "SlowDown" }));
    const error = await failure(store(3).get("k"));
    expect(error.code).toBe("STRATA_ERR_OBJECT_STORE");
    expect(error.message).toContain("SlowDown");
    expect(error.message).not.toContain("test-secret-not-real");
    expect(requests).toHaveLength(3);
  });

  it("does not retry client errors or 501 Not Implemented", async () => {
    script = [{ status: 403, code: "AccessDenied" }];
    expect((await failure(store().get("k"))).message).toContain("AccessDenied");
    expect(requests).toHaveLength(1);
    requests = [];
    script = [{ status: 501, code: "NotImplemented" }];
    expect((await failure(store().put("k", new Uint8Array([1])))).code).toBe("STRATA_ERR_OBJECT_STORE");
    expect(requests).toHaveLength(1);
  });

  it("putIfAbsent: 412 means the key exists (false), after retrying a throttled attempt", async () => {
    script = [
      { status: 503, code: "SlowDown" },
      { status: 412, code: "PreconditionFailed" },
    ];
    expect(await store().putIfAbsent("k", new Uint8Array([1]))).toBe(false);
    expect(requests).toHaveLength(2);
  });

  it("putIfAbsent: 409 ConditionalRequestConflict is asked again until the race is decided", async () => {
    script = [{ status: 409, code: "ConditionalRequestConflict" }];
    expect(await store().putIfAbsent("k", new Uint8Array([1]))).toBe(true);
    expect(requests).toHaveLength(2);
  });
});

describe("backoff", () => {
  it("is full jitter under an exponentially growing, capped ceiling; throttling backs off harder", () => {
    const top = new BackoffRetryStrategy({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999999 });
    const transient = { errorType: "TRANSIENT" as const };
    expect([1, 2, 3, 4, 5].map((n) => top.delayFor(n, transient))).toEqual([99, 199, 399, 799, 999]);
    expect(top.delayFor(1, { errorType: "THROTTLING" })).toBe(399);
    const bottom = new BackoffRetryStrategy({ baseDelayMs: 100, random: () => 0 });
    expect(bottom.delayFor(3, transient)).toBe(0);
  });

  it("waits at least a Retry-After hint", () => {
    const strategy = new BackoffRetryStrategy({ baseDelayMs: 10, maxDelayMs: 5_000, random: () => 0 });
    const delay = strategy.delayFor(1, {
      errorType: "THROTTLING",
      retryAfterHint: new Date(Date.now() + 2_000),
    });
    expect(delay).toBeGreaterThan(1_900);
    expect(delay).toBeLessThanOrEqual(2_000);
  });

  it("refuses a retry past maxAttempts and for client errors", async () => {
    const strategy = new BackoffRetryStrategy({ maxAttempts: 2, random: () => 0 });
    const first = await strategy.acquireInitialRetryToken("");
    const second = await strategy.refreshRetryTokenForRetry(first, { errorType: "SERVER_ERROR" });
    expect(second.getRetryCount()).toBe(1);
    await expect(strategy.refreshRetryTokenForRetry(second, { errorType: "SERVER_ERROR" })).rejects.toThrow();
    await expect(strategy.refreshRetryTokenForRetry(first, { errorType: "CLIENT_ERROR" })).rejects.toThrow();
  });
});
