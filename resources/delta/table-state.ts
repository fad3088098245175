/**
 * The writer's view of a snapshot: the reader's DeltaSnapshot plus what writing needs on top
 * (the parsed schema as the writer types it, every txn for checkpoints, unexpired tombstones).
 */
import type { ObjectStore } from "../object-store/object-store.ts";
import type { RemoveAction } from "./actions.ts";
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

/** Tombstones still inside the deleted-file retention: the ones a checkpoint keeps and vacuum honours. */
export function liveTombstones(snapshot: DeltaSnapshot, now = Date.now()): RemoveAction[] {
  const retention = deletedFileRetentionMs(snapshot.metadata.configuration);
  return snapshot.tombstones.filter((remove) => (remove.deletionTimestamp ?? 0) > now - retention);
}
