/**
 * The reader conformance (65 corpus tables, every version) and DAT acceptance tests, unchanged,
 * with the corpus uploaded to MinIO: log listing, checkpoints and Parquet data files all come
 * through the S3 store (GET, no local paths).
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { S3ObjectStore } from "../object-store/s3-object-store.ts";
import { MINIO_START_TIMEOUT_MS, type MinioServer, startMinio } from "../object-store/testing/minio.ts";
import { CORPUS, useCorpusStores } from "./testing/corpus-store.ts";

let minio: MinioServer | undefined;
let uploaded = 0;
const stores: S3ObjectStore[] = [];

beforeAll(async () => {
  minio = await startMinio();
  const target = minio.store("corpus");
  const files = (await readdir(CORPUS, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
  for (let i = 0; i < files.length; i += 32) {
    await Promise.all(
      files.slice(i, i + 32).map(async (path) => {
        await target.put(relative(CORPUS, path).split(sep).join("/"), await readFile(path));
        uploaded++;
      }),
    );
  }
  const { prefix } = target.settings;
  const server = minio;
  useCorpusStores((subfolder) => {
    const store = new S3ObjectStore(
      server.settings(subfolder === "" ? prefix : `${prefix}/${subfolder.replace(/\/+$/, "")}`),
    );
    stores.push(store);
    return store;
  });
}, MINIO_START_TIMEOUT_MS);
afterAll(async () => {
  for (const store of stores) store.close();
  await minio?.stop();
});

it("uploaded the whole corpus to MinIO", () => {
  expect(uploaded).toBeGreaterThan(500);
});

await import("./conformance.test.ts");
await import("./dat-acceptance.test.ts");
