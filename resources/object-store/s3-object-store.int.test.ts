/**
 * The S3 ObjectStore against a real MinIO (started by infra/local/minio.sh): the port's contract
 * (pagination with StartAfter and limit, metadata, conditional put under a race, missing keys),
 * server-side encryption as stored by the server, and coded errors.
 */
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StrataError } from "../../engine/errors.ts";
import { S3ObjectStore } from "./s3-object-store.ts";
import { MINIO_START_TIMEOUT_MS, type MinioServer, startMinio } from "./testing/minio.ts";

let minio: MinioServer;

beforeAll(async () => {
  minio = await startMinio();
}, MINIO_START_TIMEOUT_MS);
afterAll(async () => {
  await minio?.stop();
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined): string | undefined =>
  data === undefined ? undefined : new TextDecoder().decode(data);

async function keys(iterable: AsyncIterable<{ key: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of iterable) out.push(item.key);
  return out;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return StrataError.is(error) ? error.code : `not coded: ${String(error)}`;
}

describe("S3ObjectStore on MinIO", () => {
  it("put / get / head with user metadata, content type and SSE-S3 as the server stored it", async () => {
    const store = minio.store("meta");
    await store.put("bronze/a.csv", bytes("x,y\n1,2\n"), {
      metadata: { sha256: "abc", "ingested-at": "2024-01-01T00:00:00.000Z" },
      contentType: "text/csv",
    });
    expect(text(await store.get("bronze/a.csv"))).toBe("x,y\n1,2\n");
    const head = await store.head("bronze/a.csv");
    expect(head).toMatchObject({ key: "bronze/a.csv", size: 8 });
    expect(head?.metadata).toEqual({
      sha256: "abc",
      "ingested-at": "2024-01-01T00:00:00.000Z",
      "content-type": "text/csv",
    });
    expect(head?.etag).toMatch(/^[0-9a-f]{32}$/);
    const raw = await store.client.send(
      new HeadObjectCommand({ Bucket: minio.bucket, Key: `${store.settings.prefix}/bronze/a.csv` }),
    );
    expect(raw.ServerSideEncryption).toBe("AES256");
    expect(store.localPath("bronze/a.csv")).toBeUndefined();
    expect(store.url).toBe(`s3://${minio.bucket}/${store.settings.prefix}`);
  });

  it("missing keys: getIfExists and head are undefined, get is STRATA_ERR_OBJECT_NOT_FOUND, delete is idempotent", async () => {
    const store = minio.store("missing");
    expect(await store.getIfExists("nope")).toBeUndefined();
    expect(await store.head("nope")).toBeUndefined();
    expect(await codeOf(store.get("nope"))).toBe("STRATA_ERR_OBJECT_NOT_FOUND");
    await store.put("k", bytes("v"));
    await store.delete("k");
    await store.delete("k");
    expect(await store.getIfExists("k")).toBeUndefined();
  });

  it("lists in key order across pages, with StartAfter and a limit, only under the prefix", async () => {
    const store = minio.store("list");
    const all = Array.from({ length: 1_205 }, (_, i) => `landing/f-${String(i).padStart(5, "0")}.csv`);
    for (let i = 0; i < all.length; i += 50) {
      await Promise.all(all.slice(i, i + 50).map((key) => store.put(key, bytes(key))));
    }
    await store.put("landingx/other", bytes("no"));
    await store.put("other/zzz", bytes("no"));
    expect(await keys(store.list("landing/"))).toEqual(all);
    expect(await keys(store.list("landing/", { startAfter: all[999] }))).toEqual(all.slice(1000));
    expect(await keys(store.list("landing/", { startAfter: all[10], limit: 1_100 }))).toEqual(
      all.slice(11, 1_111),
    );
    expect(await keys(store.list("landing/", { limit: 3 }))).toEqual(all.slice(0, 3));
    // A cursor before the prefix starts at its first key; one past the end lists nothing.
    expect(await keys(store.list("landing/", { startAfter: "a", limit: 1 }))).toEqual([all[0]]);
    expect(await keys(store.list("landing/", { startAfter: "landing/g" }))).toEqual([]);
    const sizes = [];
    for await (const info of store.list("landing/f-0000", { limit: 2 })) sizes.push(info.size);
    expect(sizes).toEqual([all[0]?.length, all[1]?.length]);
  }, 120_000);

  it("putIfAbsent: of 16 concurrent writers exactly one wins and its bytes stay", async () => {
    const store = minio.store("race");
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        store.putIfAbsent("_delta_log/00000000000000000001.json", bytes(`w${i}`)),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(text(await store.get("_delta_log/00000000000000000001.json"))).toBe(`w${winner}`);
    expect(await store.putIfAbsent("_delta_log/00000000000000000001.json", bytes("late"))).toBe(false);
  });

  it("wrong credentials are STRATA_ERR_OBJECT_STORE without the secret in the message", async () => {
    const settings = minio.settings("auth");
    const store = new S3ObjectStore(
      { ...settings, credentials: { accessKeyId: "strata-nobody", secretAccessKey: "wrong-secret-123456" } },
      { retry: { maxAttempts: 1 } },
    );
    const error = await store.get("k").catch((thrown: unknown) => thrown);
    expect(StrataError.is(error, "STRATA_ERR_OBJECT_STORE")).toBe(true);
    expect(String(error)).toContain("InvalidAccessKeyId");
    expect(String(error)).not.toContain("wrong-secret-123456");
    store.close();
  });

  it("an unreachable endpoint fails with STRATA_ERR_OBJECT_STORE after the retries", async () => {
    const store = new S3ObjectStore(
      { ...minio.settings("down"), endpoint: "http://127.0.0.1:9" },
      { retry: { maxAttempts: 2, baseDelayMs: 1 } },
    );
    expect(await codeOf(store.head("k"))).toBe("STRATA_ERR_OBJECT_STORE");
    store.close();
  });
});

describe("a MinIO without a KMS", () => {
  let plain: MinioServer;
  beforeAll(async () => {
    process.env.STRATA_MINIO_KMS = "off";
    try {
      plain = await startMinio();
    } finally {
      delete process.env.STRATA_MINIO_KMS;
    }
  }, MINIO_START_TIMEOUT_MS);
  afterAll(async () => {
    await plain?.stop();
  });

  it("refuses SSE-S3 with STRATA_ERR_S3_ENCRYPTION; with STRATA_S3_SSE=none writes succeed", async () => {
    const encrypted = new S3ObjectStore(plain.settings("sse", "AES256"));
    expect(await codeOf(encrypted.put("k", bytes("v")))).toBe("STRATA_ERR_S3_ENCRYPTION");
    expect(await codeOf(encrypted.putIfAbsent("k", bytes("v")))).toBe("STRATA_ERR_S3_ENCRYPTION");
    encrypted.close();
    const unencrypted = new S3ObjectStore(plain.settings("sse", "none"));
    expect(await unencrypted.putIfAbsent("k", bytes("v"))).toBe(true);
    expect(text(await unencrypted.get("k"))).toBe("v");
    unencrypted.close();
  });
});
