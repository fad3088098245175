/**
 * Which data files can hold given key values, without reading the files' rows: a per-process cache
 * of the key tuples in each data file, kept as sorted 53-bit hashes. Merge uses it to read only the
 * files that really hold a source key (random keys make min/max stats overlap every file, so stats
 * alone end up reading the whole table on every merge); the streaming ingestor uses it to tell new
 * keys (blind append) from known ones (merge).
 *
 * Correct by construction, whatever other writers or earlier processes did:
 * - The index never decides which files exist: callers pass the live files of the snapshot they
 *   plan against, and only those are looked up. A removed file's entry is simply never asked for.
 * - An entry describes an immutable object: it is keyed by table, key columns, file path, size and
 *   modification time, and a data file is never rewritten in place (the log adds new paths).
 * - A file without an entry has its key columns read (one GET) before it is answered for; a file
 *   that cannot be indexed (a key column missing or of another physical type, a failed read) is
 *   always a candidate, so the caller reads it whole, as without an index.
 * - Hashes only ever err towards "may hold": a collision makes a file a candidate for nothing,
 *   never hides a key. Values are encoded so that values polars joins as equal encode equally
 *   (strings as themselves, integers of any width through the same JS number, null as a token,
 *   although joins never match nulls).
 * Nothing is persisted: after a restart the first lookup reads the key columns of the files it is
 * asked about; the cache holds at most `budget` hashes per store, least recently used dropped first.
 */
import pl from "nodejs-polars";
import type { ObjectStore } from "../object-store/object-store.ts";
import type { AddAction } from "./actions.ts";
import { frameDtypes } from "./frame-dtypes.ts";
import { contains, hashKeyRows, intersects, keyRows, sortedUnique } from "./key-hashes.ts";
import { decodeLogPath } from "./partition-values.ts";
import type { DeltaFieldType, DeltaStruct } from "./table-schema.ts";
import { dataFileKey } from "./writer.ts";

/** What the index needs to know about a table (a TableLayout fits). */
export interface KeyIndexTable {
  readonly store: ObjectStore;
  readonly root: string;
  readonly schema: DeltaStruct;
  readonly partitionColumns: readonly string[];
}

type KeyKind = "string" | "integer";

const INTEGER_TYPES = new Set(["long", "integer", "short", "byte"]);
const INTEGER_VARIANTS = new Set(["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64"]);
const STRING_VARIANTS = new Set(["String", "Utf8"]);
/** Key-column reads in flight at once when many files are not indexed yet (one GET each on S3). */
const READ_CONCURRENCY = 8;
const DEFAULT_BUDGET = 4_000_000;

function kindOf(type: DeltaFieldType | undefined): KeyKind | undefined {
  if (type === "string") return "string";
  if (typeof type === "string" && INTEGER_TYPES.has(type)) return "integer";
  return undefined;
}

/**
 * The key columns the index covers: non-partition columns of string or integer type (partition
 * values are in the log already; timestamps, decimals and floats have no exact JS form). Matching
 * on a subset of the key is a superset of matching on all of it, so this only costs precision.
 */
export function indexableKeyColumns(table: KeyIndexTable, keys: readonly string[]): string[] {
  const types = new Map(table.schema.fields.map((field) => [field.name, field.type]));
  return keys.filter((key) => !table.partitionColumns.includes(key) && kindOf(types.get(key)) !== undefined);
}

/** Whether every column is present with a physical type whose values encode like the table's. */
function columnsIndexable(frame: pl.DataFrame, table: KeyIndexTable, columns: readonly string[]): boolean {
  const dtypes = frameDtypes(frame);
  const types = new Map(table.schema.fields.map((field) => [field.name, field.type]));
  return columns.every((column) => {
    const variant = dtypes.get(column)?.variant;
    if (variant === undefined) return false;
    const kind = kindOf(types.get(column));
    return kind === "string"
      ? STRING_VARIANTS.has(variant)
      : kind === "integer" && INTEGER_VARIANTS.has(variant);
  });
}

/** Sorted unique key hashes of a file, or "unindexed" when its key values cannot be trusted to encode alike. */
type FileKeys = Float64Array | "unindexed";

class StoreCache {
  /** Insertion order is recency: a hit moves the entry to the end, eviction takes from the front. */
  private readonly entries = new Map<string, FileKeys>();
  private readonly loading = new Map<string, Promise<FileKeys | undefined>>();
  private held = 0;

  constructor(private readonly budget: () => number) {}

  get(id: string): FileKeys | undefined {
    const found = this.entries.get(id);
    if (found !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, found);
    }
    return found;
  }

  set(id: string, keys: FileKeys): void {
    const previous = this.entries.get(id);
    if (previous !== undefined) {
      this.entries.delete(id);
      this.held -= sizeOf(previous);
    }
    this.entries.set(id, keys);
    this.held += sizeOf(keys);
    for (const [oldest, value] of this.entries) {
      if (this.held <= this.budget() || oldest === id) break;
      this.entries.delete(oldest);
      this.held -= sizeOf(value);
    }
  }

  /** One read per file at a time, however many lookups want it. */
  load(id: string, read: () => Promise<FileKeys | undefined>): Promise<FileKeys | undefined> {
    const pending = this.loading.get(id);
    if (pending !== undefined) return pending;
    const started = read()
      .then((keys) => {
        if (keys !== undefined) this.set(id, keys);
        return keys;
      })
      .finally(() => this.loading.delete(id));
    this.loading.set(id, started);
    return started;
  }

  get size(): number {
    return this.held;
  }
}

function sizeOf(keys: FileKeys): number {
  return keys === "unindexed" ? 1 : Math.max(1, keys.length);
}

let budget = DEFAULT_BUDGET;
const caches = new WeakMap<ObjectStore, StoreCache>();

function cacheOf(store: ObjectStore): StoreCache {
  let cache = caches.get(store);
  if (cache === undefined) {
    cache = new StoreCache(() => budget);
    caches.set(store, cache);
  }
  return cache;
}

/** Set the per-store hash budget (tests); returns the previous one. */
export function setKeyIndexBudget(hashes: number): number {
  const previous = budget;
  budget = Math.max(1, hashes);
  return previous;
}

/** Forget everything indexed for a store (tests; a fresh process starts like this). */
export function clearKeyIndex(store: ObjectStore): void {
  caches.delete(store);
}

/** How many hashes the index holds for a store. */
export function keyIndexSize(store: ObjectStore): number {
  return caches.get(store)?.size ?? 0;
}

function entryId(table: KeyIndexTable, columns: readonly string[], add: AddAction): string {
  return [table.root, columns.join("\u0001"), decodeLogPath(add.path), add.size, add.modificationTime].join(
    "\u0000",
  );
}

/** The key hashes of one data file, read from its key columns; undefined when the read failed. */
async function readFileKeys(
  table: KeyIndexTable,
  columns: readonly string[],
  add: AddAction,
): Promise<FileKeys | undefined> {
  let source: string | Buffer;
  let frame: pl.DataFrame;
  try {
    const key = dataFileKey(table.root, add.path);
    const local = table.store.localPath(key);
    if (local !== undefined) source = local;
    else {
      const bytes = await table.store.get(key);
      source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  } catch {
    // Not cached: the caller reads the file whole and reports what is wrong with it.
    return undefined;
  }
  try {
    frame = pl.readParquet(source, { columns: [...columns] });
  } catch {
    try {
      // A key column missing from the file (added by schema evolution) is a fact about the file.
      const whole = pl.readParquet(source);
      return columns.every((column) => whole.columns.includes(column)) ? undefined : "unindexed";
    } catch {
      return undefined;
    }
  }
  if (!columnsIndexable(frame, table, columns)) return "unindexed";
  return sortedUnique(hashKeyRows(keyRows(frame, columns)));
}

/** The cached or freshly read key hashes of each file (undefined: unknown, treat as a candidate). */
async function fileKeysOf(
  table: KeyIndexTable,
  columns: readonly string[],
  files: readonly AddAction[],
): Promise<(FileKeys | undefined)[]> {
  const cache = cacheOf(table.store);
  const ids = files.map((add) => entryId(table, columns, add));
  const found: (FileKeys | undefined)[] = ids.map((id) => cache.get(id));
  const missing = found.flatMap((keys, i) => (keys === undefined ? [i] : []));
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = missing[next++]; i !== undefined; i = missing[next++]) {
      const add = files[i];
      const id = ids[i];
      if (add === undefined || id === undefined) continue;
      found[i] = await cache.load(id, () => readFileKeys(table, columns, add));
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, missing.length) }, worker));
  return found;
}

/** The source side of a lookup: the key hashes of a frame's rows, when its key columns are indexable. */
export interface SourceKeys {
  readonly columns: readonly string[];
  /** One hash per source row. */
  readonly hashes: Float64Array;
}

/**
 * The source keys to look up; undefined when the index cannot help (no indexable key column, or
 * the frame's key columns are not of the table's types), in which case every file is a candidate.
 */
export function sourceKeysOf(
  table: KeyIndexTable,
  frame: pl.DataFrame,
  keys: readonly string[],
  rows?: readonly (readonly unknown[])[],
): SourceKeys | undefined {
  const columns = indexableKeyColumns(table, keys);
  if (columns.length === 0 || !columnsIndexable(frame, table, columns)) return undefined;
  const keyRowsOfColumns =
    rows === undefined
      ? keyRows(frame, columns)
      : rows.map((row) => columns.map((column) => row[keys.indexOf(column)]));
  return { columns, hashes: hashKeyRows(keyRowsOfColumns) };
}

/**
 * The files (of those given, in their order) that may hold one of the source keys: every file
 * whose indexed keys include a source key, and every file the index cannot answer for.
 */
export async function filesWithKeys(
  table: KeyIndexTable,
  files: readonly AddAction[],
  source: SourceKeys,
): Promise<AddAction[]> {
  if (files.length === 0 || source.hashes.length === 0) return [];
  const wanted = sortedUnique(source.hashes);
  const keys = await fileKeysOf(table, source.columns, files);
  return files.filter((_, i) => {
    const fileKeys = keys[i];
    return fileKeys === undefined || fileKeys === "unindexed" || intersects(fileKeys, wanted);
  });
}

/**
 * The key hashes of a set of files (a snapshot's), loaded: answers "may one of these files hold
 * this key?" without I/O. A file it could not index makes every answer "may".
 */
export class LoadedKeys {
  private readonly indexed: readonly Float64Array[];
  /** Some file could not be indexed: every key may be in it. */
  readonly partial: boolean;

  constructor(files: readonly (FileKeys | undefined)[]) {
    this.indexed = files.filter((keys): keys is Float64Array => keys instanceof Float64Array);
    this.partial = this.indexed.length < files.length;
  }

  /** Whether an indexed file holds the hash (ignores files that could not be indexed). */
  indexedHolds(hash: number): boolean {
    return this.indexed.some((keys) => contains(keys, hash));
  }

  /** Per hash: whether some file may hold it; a false proves no file does. */
  mayHold(hashes: Float64Array): boolean[] {
    const found = new Array<boolean>(hashes.length).fill(this.partial);
    if (this.partial || hashes.length === 0) return found;
    let pending = sortedUnique(hashes);
    const hit = new Set<number>();
    for (const keys of this.indexed) {
      if (pending.length === 0) break;
      for (const value of pending) if (contains(keys, value)) hit.add(value);
      pending = pending.filter((value) => !hit.has(value));
    }
    hashes.forEach((value, i) => {
      found[i] = hit.has(value);
    });
    return found;
  }
}

/** Load (from the cache, or by reading key columns) the key hashes of `files` over `columns`. */
export async function loadKeys(
  table: KeyIndexTable,
  files: readonly AddAction[],
  columns: readonly string[],
): Promise<LoadedKeys> {
  return new LoadedKeys(await fileKeysOf(table, columns, files));
}

/**
 * Per source row: whether some file may hold its key (true also when a file cannot be indexed,
 * so a "false" is a proof that no given file holds the key).
 */
export async function rowsWithKeys(
  table: KeyIndexTable,
  files: readonly AddAction[],
  source: SourceKeys,
): Promise<boolean[]> {
  return (await loadKeys(table, files, source.columns)).mayHold(source.hashes);
}
