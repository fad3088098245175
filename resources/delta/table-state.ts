/**
 * The writer's view of a snapshot: the reader's DeltaSnapshot plus what writing needs on top
 * (the parsed schema as the writer types it, every txn for checkpoints, unexpired tombstones).
 */
import type { ObjectStore } from "../object-store/object-store.ts";
import { type RemoveAction, type TxnAction, versionFileName } from "./actions.ts";
import { readCheckpointTxns } from "./checkpoint-writer.ts";
import { logKey, parseCommit } from "./commit.ts";
import { type DeltaSnapshot, loadSnapshot } from "./snapshot.ts";
import { type DeltaStruct, parseSchemaString } from "./table-schema.ts";
import type { TableLayout } from "./writer.ts";

export interface WriterState {
  readonly snapshot: DeltaSnapshot;
  readonly layout: TableLayout;
}

export async function loadWriterState(
  store: ObjectStore,
  root: string,
  version?: number,
): Promise<WriterState> {
  const snapshot = await loadSnapshot(store, root, version === undefined ? {} : { version });
  return { snapshot, layout: layoutOf(store, root, snapshot) };
}

export function layoutOf(store: ObjectStore, root: string, snapshot: DeltaSnapshot): TableLayout {
  const schema: DeltaStruct = parseSchemaString(snapshot.metadata.schemaString);
  return {
    store,
    root,
    schema,
    partitionColumns: [...snapshot.metadata.partitionColumns],
    configuration: { ...snapshot.metadata.configuration },
  };
}

/** Delta interval strings such as "interval 7 days" / "interval 1 week" → milliseconds. */
export function parseInterval(value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const match = /^\s*(?:interval\s+)?(\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*$/i.exec(value);
  if (!match) return fallbackMs;
  const units: Record<string, number> = {
    millisecond: 1,
    second: 1000,
    minute: 60_000,
    hour: 3_600_000,
    day: 86_400_000,
    week: 604_800_000,
  };
  const unit = units[(match[2] ?? "").toLowerCase()];
  return unit === undefined ? fallbackMs : Number(match[1]) * unit;
}

export const DEFAULT_DELETED_FILE_RETENTION_MS = 7 * 86_400_000;

export function deletedFileRetentionMs(configuration: Readonly<Record<string, string>>): number {
  return parseInterval(
    configuration["delta.deletedFileRetentionDuration"],
    DEFAULT_DELETED_FILE_RETENTION_MS,
  );
}

function isRemove(value: unknown): value is RemoveAction {
  return typeof value === "object" && value !== null && "path" in value && typeof value.path === "string";
}

/** Tombstones still inside the deleted-file retention: the ones a checkpoint keeps and vacuum honours. */
export function liveTombstones(snapshot: DeltaSnapshot, now = Date.now()): RemoveAction[] {
  const retention = deletedFileRetentionMs(snapshot.metadata.configuration);
  const tombstones: unknown = snapshot.tombstones;
  const list: unknown[] = Array.isArray(tombstones)
    ? tombstones
    : tombstones instanceof Map
      ? [...tombstones.values()]
      : [];
  return list.filter(isRemove).filter((remove) => (remove.deletionTimestamp ?? 0) > now - retention);
}

const CHECKPOINT_NAME = /^(\d{20})\.checkpoint\.parquet$/;
const COMMIT_NAME = /^(\d{20})\.json$/;

/**
 * Every txn at `version`, latest per appId. The snapshot answers per appId only, so the list is
 * rebuilt from the newest single-file checkpoint at or below the version plus the commits after it.
 */
export async function collectTxns(store: ObjectStore, root: string, version: number): Promise<TxnAction[]> {
  const prefix = logKey(root, "");
  let checkpoint: number | undefined;
  const commits: number[] = [];
  for await (const object of store.list(prefix)) {
    const name = object.key.slice(prefix.length);
    const cp = CHECKPOINT_NAME.exec(name);
    if (cp && Number(cp[1]) <= version) checkpoint = Math.max(checkpoint ?? -1, Number(cp[1]));
    const commit = COMMIT_NAME.exec(name);
    if (commit && Number(commit[1]) <= version) commits.push(Number(commit[1]));
  }
  const txns = new Map<string, TxnAction>();
  if (checkpoint !== undefined) {
    const key = logKey(root, `${String(checkpoint).padStart(20, "0")}.checkpoint.parquet`);
    for (const txn of await readCheckpointTxns(store, key)) txns.set(txn.appId, txn);
  }
  const from = checkpoint ?? -1;
  for (const commit of commits.filter((v) => v > from).sort((a, b) => a - b)) {
    for (const action of parseCommit(await store.get(logKey(root, versionFileName(commit))))) {
      const txn = action.txn;
      if (typeof txn !== "object" || txn === null || !("appId" in txn) || !("version" in txn)) continue;
      const { appId, version: txnVersion } = txn;
      if (typeof appId !== "string" || typeof txnVersion !== "number") continue;
      const lastUpdated =
        "lastUpdated" in txn && typeof txn.lastUpdated === "number" ? txn.lastUpdated : null;
      txns.set(appId, { appId, version: txnVersion, lastUpdated });
    }
  }
  return [...txns.values()];
}
