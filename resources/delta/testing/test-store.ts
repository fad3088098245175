/**
 * The object store the Delta tests run against: a local folder by default. An integration test
 * plugs another store in with `useTestStores` (the S3 suite points it at MinIO) and then imports
 * the writer test files, so the same tests run on S3 unchanged.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalObjectStore } from "../../object-store/local-object-store.ts";
import type { ObjectStore } from "../../object-store/object-store.ts";

export interface TestStore {
  readonly store: ObjectStore;
  cleanup(): Promise<void>;
}

type TestStoreFactory = (prefix: string) => Promise<TestStore>;

let factory: TestStoreFactory | undefined;

/** Every later createTestStore() in this test process comes from `make` (e.g. a fresh S3 prefix). */
export function useTestStores(make: TestStoreFactory): void {
  factory = make;
}

export async function createTestStore(prefix = "strata-delta-"): Promise<TestStore> {
  if (factory !== undefined) return factory(prefix);
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { store: new LocalObjectStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
}
