/**
 * The store the conformance and DAT tests read the shared corpus from: the corpus folder in place
 * by default. The S3 suite uploads the corpus to MinIO, switches the stores with
 * `useCorpusStores` and imports those test files, so the same expectations run against S3.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalObjectStore } from "../../object-store/local-object-store.ts";
import type { ObjectStore } from "../../object-store/object-store.ts";

export const CORPUS = fileURLToPath(new URL("../../../../shared/delta-conformance/", import.meta.url));

type CorpusStores = (subfolder: string) => ObjectStore;

let make: CorpusStores = (subfolder) => new LocalObjectStore(join(CORPUS, subfolder));

/** Later reads through corpusStore(subfolder) go to `stores(subfolder)`. */
export function useCorpusStores(stores: CorpusStores): void {
  make = stores;
}

/**
 * The corpus (or one of its subfolders) as a store. It is resolved at each call, not at import:
 * test files build it at module level, before a suite's beforeAll has uploaded the corpus.
 */
export function corpusStore(subfolder = ""): ObjectStore {
  let resolved: { readonly from: CorpusStores; readonly store: ObjectStore } | undefined;
  const current = (): ObjectStore => {
    if (resolved?.from !== make) resolved = { from: make, store: make(subfolder) };
    return resolved.store;
  };
  return {
    get url() {
      return current().url;
    },
    get: (key) => current().get(key),
    getIfExists: (key) => current().getIfExists(key),
    head: (key) => current().head(key),
    put: (key, body, options) => current().put(key, body, options),
    putIfAbsent: (key, body, options) => current().putIfAbsent(key, body, options),
    list: (prefix, options) => current().list(prefix, options),
    delete: (key) => current().delete(key),
    localPath: (key) => current().localPath(key),
  };
}
