/**
 * The object store the Delta tests run against. Local folder today; the S3 implementation plugs in
 * here (e.g. selected by an environment variable) so the same writer tests run on S3 unchanged.
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

export async function createTestStore(prefix = "strata-delta-"): Promise<TestStore> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { store: new LocalObjectStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
}
