/**
 * Reading classic checkpoints (single file or all parts of a multi-part one). Every row, as decoded
 * by checkpoint-decoders.ts, becomes an action validated by the same guards as commit lines, so
 * writers' differing checkpoint layouts read alike.
 * A checkpoint's content never changes (it is written once, and any checkpoint of a version holds
 * that version's state), so decoded checkpoints are kept per process, keyed by store, keys and
 * etags: reopening a table (every write does) replays the checkpoint from memory and reads only
 * the commits after it.
 *
 * Opening a table needs only the checkpoint's protocol and metaData (as delta-kernel's Snapshot):
 * for a local checkpoint polars can decode, `openCheckpoint` reads just those two columns and
 * decodes the file actions (add, remove, txn) on first use. Decoding them is what grows with the
 * table (about 5 µs per live file), and an append without a txn does not need them.
 */
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import { polarsRows, polarsSchemas, rowsWithDuckDb, rowsWithPolars } from "./checkpoint-decoders.ts";
import { type LogAction, parseAction } from "./log-actions.ts";
import type { CheckpointFiles } from "./log-listing.ts";

/** Decoded checkpoints, least recently used first, with the size of the JSON they were parsed from. */
const decoded = new Map<string, { readonly actions: readonly LogAction[]; readonly bytes: number }>();
let decodedBytes = 0;
/**
 * Decoded checkpoints kept, in bytes of their rows' JSON (the actions take about 1.3 times that on
 * the heap); a larger checkpoint is decoded on every load.
 */
const MAX_DECODED_BYTES = 64 * 1024 * 1024;

/** The checkpoint's actions except commitInfo, in file order. The array is shared: do not modify it. */
export async function readCheckpoint(
  store: ObjectStore,
  checkpoint: CheckpointFiles,
): Promise<readonly LogAction[]> {
  const identity = identityOf(store, checkpoint);
  const cached = identity === undefined ? undefined : decoded.get(identity);
  if (identity !== undefined && cached !== undefined) {
    remember(decoded, identity, cached, Number.POSITIVE_INFINITY);
    return cached.actions;
  }
  const rows = (await rowsWithPolars(store, checkpoint)) ?? (await rowsWithDuckDb(store, checkpoint));
  const actions = checkpointActions(rows.rows, checkpoint);
  keepDecoded(identity, actions, rows.bytes);
  return actions;
}

/** Without an etag per part (a store that has none) the content's identity is unknown: no caching. */
function identityOf(store: ObjectStore, checkpoint: CheckpointFiles): string | undefined {
  return checkpoint.etags.every((etag) => etag !== "")
    ? JSON.stringify([store.url, checkpoint.keys, checkpoint.etags])
    : undefined;
}

/** Move (or add) an entry to the most recent end of an insertion-ordered map, evicting beyond `max` entries. */
function remember<T>(map: Map<string, T>, key: string, value: T, max: number): void {
  map.delete(key);
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= max) break;
    map.delete(oldest);
  }
}

function keepDecoded(identity: string | undefined, actions: readonly LogAction[], bytes: number): void {
  // Two concurrent loads may both decode it; the first to finish is kept (and counted) once.
  if (identity === undefined || bytes > MAX_DECODED_BYTES || decoded.has(identity)) return;
  decoded.set(identity, { actions, bytes });
  decodedBytes += bytes;
  for (const [oldest, evicted] of decoded) {
    if (decodedBytes <= MAX_DECODED_BYTES) break;
    decoded.delete(oldest);
    decodedBytes -= evicted.bytes;
  }
}

const isHeader = (action: LogAction): boolean => action.kind === "protocol" || action.kind === "metaData";

const HEADER_COLUMNS = ["protocol", "metaData"];

/**
 * Local parts opened for a deferred decode: their protocol and metaData (only those columns are
 * read). Undefined when polars cannot decode every part as the log's JSON.
 */
function openDeferred(paths: readonly string[], checkpoint: CheckpointFiles): DeferredCheckpoint | undefined {
  const schemas = polarsSchemas(paths);
  if (schemas === undefined) return undefined;
  const rows: Record<string, unknown>[] = [];
  for (const [i, path] of paths.entries()) {
    const columns = Object.keys(schemas[i] ?? {});
    let parsed: { rows: Record<string, unknown>[]; bytes: number } | undefined;
    try {
      parsed = polarsRows(
        path,
        HEADER_COLUMNS.filter((column) => columns.includes(column)),
      );
    } catch {
      return undefined; // the eager path reads it through DuckDB, which reports a damaged file with a code
    }
    if (parsed === undefined) return undefined;
    rows.push(...parsed.rows);
  }
  return {
    header: checkpointActions(rows, checkpoint).filter(isHeader),
    otherColumns: schemas.map((schema) => Object.keys(schema).filter((c) => !HEADER_COLUMNS.includes(c))),
  };
}

/** The deferred half of `openCheckpoint`: the header, then the actions in the parts' other columns. */
function decodeDeferred(
  paths: readonly string[],
  deferred: DeferredCheckpoint,
  checkpoint: CheckpointFiles,
  identity: string | undefined,
): readonly LogAction[] {
  const cached = identity === undefined ? undefined : decoded.get(identity);
  if (cached !== undefined) return cached.actions;
  const rows: Record<string, unknown>[] = [];
  let bytes = 0;
  for (const [i, path] of paths.entries()) {
    const columns = deferred.otherColumns[i] ?? [];
    if (columns.length === 0) continue;
    let parsed: { rows: Record<string, unknown>[]; bytes: number } | undefined;
    try {
      parsed = polarsRows(path, columns);
    } catch (error) {
      throw unreadableLater(checkpoint, path, error);
    }
    if (parsed === undefined) throw unreadableLater(checkpoint, path, undefined);
    rows.push(...parsed.rows);
    bytes += parsed.bytes;
  }
  const actions = [...deferred.header, ...checkpointActions(rows, checkpoint)];
  keepDecoded(identity, actions, bytes);
  return actions;
}

function unreadableLater(checkpoint: CheckpointFiles, path: string, cause: unknown): StrataError {
  const source = checkpoint.keys[0] ?? `checkpoint ${checkpoint.version}`;
  return new StrataError(
    "STRATA_ERR_DELTA_CORRUPT_LOG",
    `checkpoint ${quote(source)} changed or disappeared after the table was opened (${quote(path)} no longer decodes${cause instanceof Error ? `: ${cause.message}` : ""}); load the table again.`,
    { source },
    cause === undefined ? undefined : { cause },
  );
}

/** Forget every decoded checkpoint: the next load of any table decodes its checkpoint again. */
export function clearCheckpointCache(): void {
  decoded.clear();
  decodedBytes = 0;
  headers.clear();
}

/** A checkpoint opened by a snapshot load. */
export interface OpenedCheckpoint {
  /** Its protocol and metaData actions: all that opening the table needs. */
  readonly header: readonly LogAction[];
  /** Every action but commitInfo, in file order, decoded on the first call when the open deferred it. Shared: do not modify. */
  actions(): readonly LogAction[];
}

/** A checkpoint opened without its file actions: its protocol and metaData, and each part's other columns. */
interface DeferredCheckpoint {
  readonly header: readonly LogAction[];
  readonly otherColumns: readonly (readonly string[])[];
}

/** Checkpoints opened without their file actions, by content identity. */
const headers = new Map<string, DeferredCheckpoint>();
const MAX_HEADERS = 256;

/**
 * The checkpoint's protocol and metaData now; its file actions now or on first use. They are
 * deferred when every part is a local file whose columns polars decodes (see `rowsWithPolars`),
 * since the deferred decode runs synchronously; otherwise (a remote store, a checkpoint only DuckDB
 * reads) everything is decoded here.
 */
export async function openCheckpoint(
  store: ObjectStore,
  checkpoint: CheckpointFiles,
): Promise<OpenedCheckpoint> {
  const identity = identityOf(store, checkpoint);
  const cached = identity === undefined ? undefined : decoded.get(identity);
  if (cached === undefined) {
    const paths = checkpoint.keys.map((key) => store.localPath(key));
    const local = paths.filter((path): path is string => path !== undefined);
    // A remembered header means the parts were found decodable when it was read.
    const known = identity === undefined ? undefined : headers.get(identity);
    const deferred = known ?? (local.length < paths.length ? undefined : openDeferred(local, checkpoint));
    if (deferred !== undefined) {
      if (identity !== undefined) remember(headers, identity, deferred, MAX_HEADERS);
      let actions: readonly LogAction[] | undefined;
      return {
        header: deferred.header,
        actions: () => (actions ??= decodeDeferred(local, deferred, checkpoint, identity)),
      };
    }
  }
  const actions = await readCheckpoint(store, checkpoint);
  return { header: actions.filter(isHeader), actions: () => actions };
}

/** Validated actions of a checkpoint's rows, without commitInfo (which checkpoints do not carry). */
export function checkpointActions(rows: readonly unknown[], checkpoint: CheckpointFiles): LogAction[] {
  const source = checkpoint.keys[0] ?? `checkpoint ${checkpoint.version}`;
  const actions: LogAction[] = [];
  for (const row of rows) {
    const action = parseAction(row, source);
    if (action !== undefined && action.kind !== "commitInfo") actions.push(action);
  }
  return actions;
}
