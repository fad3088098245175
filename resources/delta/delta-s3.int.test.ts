/**
 * The Delta writer and commit tests, unchanged, with every table on MinIO: each test gets a fresh
 * prefix of one server's bucket through createTestStore, so commits go through S3's conditional
 * PUT (If-None-Match: *) and reads through GET instead of local paths.
 */
import { afterAll, beforeAll } from "vitest";
import {
  emptyStore,
  MINIO_START_TIMEOUT_MS,
  type MinioServer,
  startMinio,
} from "../object-store/testing/minio.ts";
import { useTestStores } from "./testing/test-store.ts";

let minio: MinioServer | undefined;

beforeAll(async () => {
  minio = await startMinio();
}, MINIO_START_TIMEOUT_MS);
afterAll(async () => {
  await minio?.stop();
});

useTestStores(async (prefix) => {
  if (minio === undefined) throw new Error("MinIO did not start");
  const store = minio.store(prefix.replace(/-+$/, ""));
  return { store, cleanup: () => emptyStore(store) };
});

await import("./delta-table.test.ts");
await import("./commit.test.ts");
