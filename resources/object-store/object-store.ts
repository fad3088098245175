/**
 * The ObjectStore port: the only way pipeline code and the Delta implementation touch storage.
 * Keys are '/'-separated paths relative to the store's root (no leading slash). Implementations:
 * a local folder (embedded default) and S3.
 */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** Milliseconds since the epoch (UTC). */
  readonly lastModified: number;
  /** Content identity: S3 ETag, or size+mtime-derived tag on local disk. */
  readonly etag: string;
}

export interface PutOptions {
  readonly metadata?: Readonly<Record<string, string>>;
  readonly contentType?: string;
}

export interface ListOptions {
  /** Only keys strictly after this one (lexicographic), as S3's StartAfter. */
  readonly startAfter?: string;
  /** Stop after this many keys. */
  readonly limit?: number;
}

export interface ObjectStore {
  /** Human-readable location of the root, e.g. file:///…/lake or s3://bucket/prefix. */
  readonly url: string;
  get(key: string): Promise<Uint8Array>;
  /** Undefined when the object does not exist. */
  getIfExists(key: string): Promise<Uint8Array | undefined>;
  head(
    key: string,
  ): Promise<(ObjectInfo & { readonly metadata: Readonly<Record<string, string>> }) | undefined>;
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<ObjectInfo>;
  /**
   * Write only if no object has that key; returns false (and writes nothing) when one exists.
   * Atomic: of two concurrent callers exactly one gets true. Delta commits rely on it.
   */
  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean>;
  /** Keys under a prefix, in lexicographic order, following the cursor semantics of S3 ListObjectsV2. */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo>;
  delete(key: string): Promise<void>;
  /**
   * A local filesystem path for the key when the store is a local folder (lets DuckDB/polars read
   * files directly); undefined for remote stores.
   */
  localPath(key: string): string | undefined;
}
