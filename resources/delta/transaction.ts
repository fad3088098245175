/**
 * The write path every table operation shares: load the latest snapshot, check the table is
 * writable and the txn not yet applied, let the operation prepare its files, commit with
 * optimistic concurrency, and re-run the whole operation on the new snapshot when it lost a
 * logical conflict (its uncommitted files are deleted first). A checkpoint follows when due.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import type { Action, AddAction, RemoveAction } from "./actions.ts";
import { type CheckpointInfo, writeCheckpoint } from "./checkpoint-writer.ts";
import { type CommitOptions, commitTransaction } from "./commit.ts";
import { decodeLogPath } from "./partition-values.ts";
import { loadSnapshot } from "./snapshot.ts";
import { type DeltaStruct, serialiseSchema } from "./table-schema.ts";
import { liveTombstones, loadWriterState, type WriterState } from "./table-state.ts";
import { assertWritable, checkpointInterval } from "./write-guards.ts";
import { type TableLayout, tableKey, writeDataFiles } from "./writer.ts";

export interface TxnOption {
  readonly appId: string;
  readonly version: number;
}

export interface OperationTarget {
  readonly store: ObjectStore;
  readonly root: string;
  readonly options: {
    readonly commit?: CommitOptions | undefined;
    /** How often a write that lost a logical conflict is re-run on the new snapshot (default 5). */
    readonly operationRetries?: number | undefined;
  };
}

export interface WriteResult {
  /** The committed version; the unchanged table version when skipped. */
  readonly version: number;
  readonly skipped: boolean;
  /** Why nothing was committed (idempotent replay, nothing to change). */
  readonly reason?: string;
  readonly filesAdded: number;
  readonly filesRemoved: number;
  readonly rowsWritten: number;
  /** How many times the operation ran (1 + re-runs after losing a logical conflict). */
  readonly attempts: number;
  /** Concurrent commits this one was rebased over without re-running. */
  readonly rebasedOver: number;
  readonly timings: {
    readonly writeFilesMs: number;
    readonly commitMs: number;
    readonly checkpointMs: number;
  };
  readonly checkpoint?: CheckpointInfo;
  /** Set when the commit succeeded but the checkpoint due after it failed. */
  readonly checkpointError?: string;
}

/** What an operation wants committed, produced from one snapshot. */
export interface Prepared {
  readonly adds: readonly AddAction[];
  readonly removes: readonly AddAction[];
  /** Set when the operation evolves the schema (mergeSchema). */
  readonly schemaString?: string;
  readonly dataChange: boolean;
  readonly rowsWritten: number;
  readonly writeFilesMs: number;
  readonly readFiles?: ReadonlySet<string>;
  readonly conflictsWithAdd?: (add: AddAction) => boolean;
  readonly operationParameters: Readonly<Record<string, unknown>>;
  readonly operationMetrics: Readonly<Record<string, number>>;
}

function toRemove(add: AddAction, dataChange: boolean, now: number): RemoveAction {
  return {
    path: add.path,
    deletionTimestamp: now,
    dataChange,
    extendedFileMetadata: true,
    partitionValues: add.partitionValues,
    size: add.size,
  };
}

/** Write a checkpoint for `version` (default: latest) and point `_last_checkpoint` at it. */
export async function checkpointTable(
  store: ObjectStore,
  root: string,
  version?: number,
): Promise<CheckpointInfo> {
  const snapshot = await loadSnapshot(store, root, version === undefined ? {} : { version });
  return writeCheckpoint(store, root, {
    version: snapshot.version,
    protocol: snapshot.protocol,
    metadata: snapshot.metadata,
    files: snapshot.files,
    tombstones: liveTombstones(snapshot),
    txns: [...snapshot.txns.values()],
  });
}

/** Write the rows of an operation as new data files; shared by append, overwrite, merge and delete. */
export async function prepareRows(
  layout: TableLayout,
  rows: pl.DataFrame | undefined,
  schema: DeltaStruct,
  removes: readonly AddAction[],
  operationParameters: Readonly<Record<string, unknown>>,
  options: { readonly maxRowsPerFile?: number | undefined },
): Promise<Prepared> {
  const evolved = schema === layout.schema ? layout : { ...layout, schema };
  const started = performance.now();
  const adds =
    rows === undefined ? [] : await writeDataFiles(evolved, rows, { maxRowsPerFile: options.maxRowsPerFile });
  return {
    adds,
    removes,
    dataChange: true,
    rowsWritten: rows?.height ?? 0,
    writeFilesMs: performance.now() - started,
    operationParameters,
    operationMetrics: {
      numFiles: adds.length,
      numOutputRows: rows?.height ?? 0,
      numRemovedFiles: removes.length,
    },
    ...(schema === layout.schema ? {} : { schemaString: serialiseSchema(schema) }),
  };
}

/** Load → guard → prepare → commit, re-running on logical conflicts; checkpoint when due. */
export async function runOperation(
  target: OperationTarget,
  operation: string,
  options: { readonly txn?: TxnOption | undefined },
  prepare: (state: WriterState) => Promise<Prepared>,
): Promise<WriteResult> {
  const retries = target.options.operationRetries ?? 5;
  for (let attempt = 0; ; attempt++) {
    const state = await loadWriterState(target.store, target.root);
    const { snapshot } = state;
    assertWritable(snapshot.protocol, target.root);
    const noop = (reason: string): WriteResult => ({
      version: snapshot.version,
      skipped: true,
      reason,
      filesAdded: 0,
      filesRemoved: 0,
      rowsWritten: 0,
      attempts: attempt + 1,
      rebasedOver: 0,
      timings: { writeFilesMs: 0, commitMs: 0, checkpointMs: 0 },
    });
    const txn = options.txn;
    const seen = txn === undefined ? undefined : snapshot.txnVersion(txn.appId);
    if (txn !== undefined && seen !== undefined && seen >= txn.version) {
      return noop(
        `application ${quote(txn.appId)} already committed version ${seen} (this write is version ${txn.version})`,
      );
    }
    const prepared = await prepare(state);
    const now = Date.now();
    const actions: Action[] = [
      // Schema evolution: a full new metaData with the same table id (what Spark writes).
      ...(prepared.schemaString === undefined
        ? []
        : [{ metaData: { ...snapshot.metadata, schemaString: prepared.schemaString } }]),
      ...prepared.removes.map((add) => ({ remove: toRemove(add, prepared.dataChange, now) })),
      ...prepared.adds.map((add) => ({ add })),
    ];
    if (actions.length === 0 && txn === undefined) return noop("nothing to change");
    if (txn !== undefined)
      actions.push({ txn: { appId: txn.appId, version: txn.version, lastUpdated: now } });
    let committed: Awaited<ReturnType<typeof commitTransaction>>;
    try {
      committed = await commitTransaction(
        target.store,
        target.root,
        {
          readVersion: snapshot.version,
          actions,
          operation,
          operationParameters: prepared.operationParameters,
          operationMetrics: prepared.operationMetrics,
          readFiles: prepared.readFiles,
          conflictsWithAdd: prepared.conflictsWithAdd,
        },
        target.options.commit,
      );
    } catch (error) {
      if (!StrataError.is(error, "STRATA_ERR_DELTA_CONCURRENT_MODIFICATION")) throw error;
      // The files were never committed: remove them now rather than leave them to vacuum.
      await Promise.allSettled(
        prepared.adds.map((add) => target.store.delete(tableKey(target.root, decodeLogPath(add.path)))),
      );
      if (attempt >= retries) throw error;
      await sleep(Math.random() * 20 * 2 ** attempt);
      continue;
    }
    const checkpointStarted = performance.now();
    const interval = checkpointInterval(state.layout.configuration);
    let checkpoint: CheckpointInfo | undefined;
    let checkpointError: string | undefined;
    if (committed.version > 0 && committed.version % interval === 0) {
      // The commit is durable: a failed checkpoint must not make the caller retry (and duplicate)
      // the write, so it is reported in the result; the next due checkpoint covers it.
      try {
        checkpoint = await checkpointTable(target.store, target.root, committed.version);
      } catch (error) {
        checkpointError = error instanceof Error ? error.message : String(error);
      }
    }
    return {
      version: committed.version,
      skipped: false,
      filesAdded: prepared.adds.length,
      filesRemoved: prepared.removes.length,
      rowsWritten: prepared.rowsWritten,
      attempts: attempt + 1,
      rebasedOver: committed.rebasedOver,
      timings: {
        writeFilesMs: prepared.writeFilesMs,
        commitMs: committed.commitMs,
        checkpointMs: checkpoint === undefined ? 0 : performance.now() - checkpointStarted,
      },
      ...(checkpoint === undefined ? {} : { checkpoint }),
      ...(checkpointError === undefined ? {} : { checkpointError }),
    };
  }
}
