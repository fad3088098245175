/**
 * Test helper: a MinIO server started through infra/local/minio.sh (built once from the Go module
 * proxy, cached in .cache/bin). One server per test file: start it in beforeAll, stop it in
 * afterAll; a watchdog in the script stops it if the test process dies first.
 */

import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  type S3Encryption,
  S3ObjectStore,
  type S3Settings,
  type S3StoreOptions,
} from "../s3-object-store.ts";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../../../infra/local/minio.sh", import.meta.url));

/** The first build of MinIO compiles ~1,500 Go packages: allow for it on a busy 2-core machine. */
export const MINIO_START_TIMEOUT_MS = 30 * 60_000;

/** Deletes every object of a store (a test's prefix), so a shared server holds nothing after it. */
export async function emptyStore(store: S3ObjectStore): Promise<void> {
  const keys: string[] = [];
  for await (const info of store.list("")) keys.push(info.key);
  for (let i = 0; i < keys.length; i += 64) {
    await Promise.all(keys.slice(i, i + 64).map((key) => store.delete(key)));
  }
}

export interface MinioServer {
  /** The KEY=VALUE lines the script printed (STRATA_S3_ENDPOINT, keys, bucket, ...). */
  readonly env: Readonly<Record<string, string>>;
  readonly endpoint: string;
  readonly bucket: string;
  /** Settings for a lake under `prefix` in the server's bucket. */
  settings(prefix: string, sse?: S3Encryption): S3Settings;
  /** A store on a fresh, unique prefix (tests that share the server do not see each other). */
  store(label?: string, options?: S3StoreOptions): S3ObjectStore;
  /** STRATA_* variables that point the pipeline's configuration at `s3://bucket/prefix`. */
  configEnv(prefix: string): Record<string, string>;
  stop(): Promise<void>;
}

function parseEnv(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) env[match[1]] = match[2];
  }
  return env;
}

function required(env: Record<string, string>, key: string): string {
  const value = env[key];
  if (value === undefined || value === "") throw new Error(`minio.sh start printed no ${key}`);
  return value;
}

export async function startMinio(): Promise<MinioServer> {
  const { stdout } = await run("bash", [script, "start"], {
    env: { ...process.env, STRATA_MINIO_OWNER_PID: String(process.pid) },
    timeout: MINIO_START_TIMEOUT_MS,
    maxBuffer: 16 << 20,
  });
  const env = parseEnv(stdout);
  const endpoint = required(env, "STRATA_S3_ENDPOINT");
  const bucket = required(env, "STRATA_S3_BUCKET");
  const region = required(env, "STRATA_S3_REGION");
  const credentials = {
    accessKeyId: required(env, "STRATA_S3_ACCESS_KEY_ID"),
    secretAccessKey: required(env, "STRATA_S3_SECRET_ACCESS_KEY"),
  };
  const dir = required(env, "STRATA_MINIO_DIR");
  const stores: S3ObjectStore[] = [];
  const settings = (prefix: string, sse: S3Encryption = "AES256"): S3Settings => ({
    bucket,
    prefix,
    region,
    endpoint,
    credentials,
    sse,
  });
  return {
    env,
    endpoint,
    bucket,
    settings,
    store(label = "t", options = {}) {
      const store = new S3ObjectStore(settings(`${label}-${randomUUID().slice(0, 8)}`), options);
      stores.push(store);
      return store;
    },
    configEnv: (prefix) => ({
      STRATA_LAKE: `s3://${bucket}/${prefix}`,
      STRATA_S3_ENDPOINT: endpoint,
      STRATA_S3_REGION: region,
      STRATA_S3_ACCESS_KEY_ID: credentials.accessKeyId,
      STRATA_S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      STRATA_S3_SSE: "AES256",
    }),
    async stop() {
      for (const store of stores) store.close();
      await run("bash", [script, "stop", dir], { timeout: 60_000 });
    },
  };
}
