/**
 * The objects of another store as a remote store exposes them: every call is delegated, but no
 * key has a local path, so readers take their get()/DuckDB-copy paths as they would on S3. Tests
 * extend it to count or alter the calls they watch.
 */
import type { ListOptions, ObjectInfo, ObjectStore, PutOptions } from "../../object-store/object-store.ts";

export class RemoteLikeStore implements ObjectStore {
  readonly url: string;

  constructor(
    protected readonly inner: ObjectStore,
    url?: string,
  ) {
    this.url = url ?? inner.url;
  }

  get(key: string): Promise<Uint8Array> {
    return this.inner.get(key);
  }

  getIfExists(key: string): Promise<Uint8Array | undefined> {
    return this.inner.getIfExists(key);
  }

  head(key: string): ReturnType<ObjectStore["head"]> {
    return this.inner.head(key);
  }

  put(key: string, body: Uint8Array, options?: PutOptions): Promise<ObjectInfo> {
    return this.inner.put(key, body, options);
  }

  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    return this.inner.putIfAbsent(key, body, options);
  }

  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix, options);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  localPath(): string | undefined {
    return undefined;
  }
}
