/**
 * The Delta table facade the pipeline uses: create, append, overwrite, merge, delete, time-travel
 * reads and maintenance on one table through the ObjectStore port. Every write follows the same
 * path: load the latest snapshot, check the table is writable, write data files, commit with
 * optimistic concurrency; a logical conflict re-runs the whole operation on the new snapshot.
 */
import { setTimeout as sleep } from "node:timers/promises";
import pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import type { Action, AddAction, MetadataAction, RemoveAction } from "./actions.ts";
import { type CheckpointInfo, writeCheckpoint } from "./checkpoint-writer.ts";
import { type CommitOptions, commitTransaction, logKey } from "./commit.ts";
import {
  type OptimizeOptions,
  planOptimize,
  type VacuumOptions,
  type VacuumResult,
  vacuum,
} from "./maintenance.ts";
import { type MergeRowMetrics, type MergeSpec, planMerge } from "./merge.ts";
import { type PartitionPredicate, partitionFilter, rowsOutsidePartitions } from "./overwrite.ts";
import { decodeLogPath } from "./partition-values.ts";
import { readTable } from "./read-table.ts";
import { conformFrame } from "./schema-enforcement.ts";
import { type DeltaSnapshot, loadSnapshot } from "./snapshot.ts";
import { type DeltaStruct, schemaFromFrame, serialiseSchema } from "./table-schema.ts";
import { liveTombstones, loadWriterState, type WriterState } from "./table-state.ts";
import { assertMayChangeData, assertWritable, checkpointInterval, WRITER_PROTOCOL } from "./write-guards.ts";
import { readDataFile, type TableLayout, tableKey, writeDataFiles } from "./writer.ts";

export type { MergeColumns, MergeRowMetrics } from "./merge.ts";
export type { PartitionPredicate } from "./overwrite.ts";
export type { DeltaStruct } from "./table-schema.ts";

export interface CreateTableOptions {
  /** The schema, or a frame whose columns define it (all nullable). */
  readonly schema: DeltaStruct | pl.DataFrame;
  readonly partitionColumns?: readonly string[];
  /** Table properties (`delta.appendOnly`, `delta.checkpointInterval`, ...). */
  readonly properties?: Readonly<Record<string, string>>;
  readonly name?: string;
  readonly description?: string;
}

export interface WriteOptions {
  /** Add frame columns the table lacks as new nullable columns instead of refusing the frame. */
  readonly mergeSchema?: boolean;
  /** Idempotent write: skipped when the table already holds this version (or later) for appId. */
  readonly txn?: { readonly appId: string; readonly version: number };
  readonly maxRowsPerFile?: number;
}

export interface OverwriteOptions extends WriteOptions {
  /** Replace only the partitions matching this (equality on partition columns); default: everything. */
  readonly partitions?: PartitionPredicate;
}

export interface MergeOptions extends WriteOptions, MergeSpec {}

export interface WriteResult {
  /** The committed version; the unchanged table version when skipped. */
  readonly version: number;
  readonly skipped: boolean;
  /** Why nothing was committed (idempotent replay, nothing to change). */
  readonly reason?: string;
  readonly filesAdded: number;
  readonly filesRemoved: number;
  readonly rowsWritten: number;
  readonly timings: {
    readonly writeFilesMs: number;
    readonly commitMs: number;
    readonly checkpointMs: number;
  };
  readonly checkpoint?: CheckpointInfo;
  /** Set when the commit succeeded but the checkpoint due after it failed. */
  readonly checkpointError?: string;
}

export interface MergeResult extends WriteResult {
  readonly metrics: MergeRowMetrics & { readonly filesAdded: number; readonly filesRemoved: number };
}

export interface DeleteResult extends WriteResult {
  readonly rowsDeleted: number;
}

export interface DeltaTableOptions {
  readonly commit?: CommitOptions;
  /** How often a write that lost a logical conflict is re-run on the new snapshot (default 5). */
  readonly operationRetries?: number;
}

/** What an operation wants committed, produced from one snapshot. */
interface Prepared {
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

export class DeltaTable {
  private constructor(
    readonly store: ObjectStore,
    readonly root: string,
    private readonly options: DeltaTableOptions,
  ) {}

  /** A handle on the table at `root` (a store key prefix); no I/O until used. */
  static forPath(store: ObjectStore, root: string, options: DeltaTableOptions = {}): DeltaTable {
    return new DeltaTable(store, root.replace(/\/+$/, ""), options);
  }

  async exists(): Promise<boolean> {
    for await (const _ of this.store.list(logKey(this.root, ""), { limit: 1 })) return true;
    return false;
  }

  /** Commit version 0 with protocol (1,2) and metadata; STRATA_ERR_DELTA_TABLE_EXISTS if there is a table. */
  async create(options: CreateTableOptions): Promise<number> {
    const schema = "fields" in options.schema ? options.schema : schemaFromFrame(options.schema);
    const partitionColumns = [...(options.partitionColumns ?? [])];
    const names = new Set(schema.fields.map((field) => field.name));
    for (const column of partitionColumns) {
      if (!names.has(column)) {
        throw new StrataError(
          "STRATA_ERR_DELTA_INVALID_WRITE",
          `partition column ${quote(column)} is not in the schema.`,
          { column },
        );
      }
    }
    if (partitionColumns.length > 0 && partitionColumns.length >= schema.fields.length) {
      throw new StrataError(
        "STRATA_ERR_DELTA_INVALID_WRITE",
        "a table needs at least one column that is not a partition column.",
        {},
      );
    }
    const configuration = { ...(options.properties ?? {}) };
    checkpointInterval(configuration);
    const metaData: MetadataAction = {
      id: crypto.randomUUID(),
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.description === undefined ? {} : { description: options.description }),
      format: { provider: "parquet", options: {} },
      schemaString: serialiseSchema(schema),
      partitionColumns,
      configuration,
      createdTime: Date.now(),
    };
    const result = await commitTransaction(this.store, this.root, {
      readVersion: -1,
      actions: [{ protocol: WRITER_PROTOCOL }, { metaData }],
      operation: "CREATE TABLE",
      operationParameters: {
        partitionBy: JSON.stringify(partitionColumns),
        properties: JSON.stringify(configuration),
      },
    });
    return result.version;
  }

  /** Create the table unless one exists (a concurrent creator winning is fine). Returns whether it created it. */
  async ensureCreated(options: CreateTableOptions): Promise<boolean> {
    if (await this.exists()) return false;
    try {
      await this.create(options);
      return true;
    } catch (error) {
      if (StrataError.is(error, "STRATA_ERR_DELTA_TABLE_EXISTS")) return false;
      throw error;
    }
  }

  snapshot(at: { version?: number; timestamp?: Date | number | string } = {}): Promise<DeltaSnapshot> {
    return loadSnapshot(this.store, this.root, at);
  }

  /** Rows at the latest version, or at a version / timestamp (time travel). */
  async read(at: { version?: number; timestamp?: Date | number | string } = {}): Promise<pl.DataFrame> {
    return readTable(this.store, this.root, await this.snapshot(at));
  }

  append(frame: pl.DataFrame, options: WriteOptions = {}): Promise<WriteResult> {
    return this.execute("WRITE", options, async ({ layout }) => {
      const conformed = conformFrame(frame, layout.schema, options);
      return this.writeRows(layout, conformed.frame, conformed.schema, [], { mode: "Append" }, options);
    });
  }

  overwrite(frame: pl.DataFrame, options: OverwriteOptions = {}): Promise<WriteResult> {
    return this.execute("WRITE", options, async ({ snapshot, layout }) => {
      assertMayChangeData(layout.configuration, this.root, "overwrite");
      const conformed = conformFrame(frame, layout.schema, options);
      const predicate = options.partitions;
      const matches = predicate === undefined ? () => true : partitionFilter(layout, predicate);
      if (predicate !== undefined) rowsOutsidePartitions(conformed.frame, layout, predicate);
      const removed = snapshot.files.filter(matches);
      const parameters = {
        mode: "Overwrite",
        ...(predicate === undefined ? {} : { predicate: JSON.stringify(predicate) }),
      };
      const prepared = await this.writeRows(
        layout,
        conformed.frame,
        conformed.schema,
        removed,
        parameters,
        options,
      );
      // Rows appended concurrently into the replaced partitions would survive the overwrite: conflict.
      return { ...prepared, conflictsWithAdd: matches };
    });
  }

  async merge(frame: pl.DataFrame, options: MergeOptions): Promise<MergeResult> {
    let rows: MergeRowMetrics = { inserted: 0, updated: 0, unchanged: 0 };
    const result = await this.execute("MERGE", options, async ({ snapshot, layout }) => {
      const conformed = conformFrame(frame, layout.schema, options);
      const evolved = { ...layout, schema: conformed.schema };
      const plan = await planMerge(evolved, snapshot.files, conformed.frame, options);
      rows = plan.metrics;
      if (plan.rewritten.length > 0)
        assertMayChangeData(layout.configuration, this.root, "merge (updating rows)");
      const parameters = {
        mergeKeys: JSON.stringify(options.keys),
        conditional: String(options.updateWhen !== undefined),
      };
      const prepared = await this.writeRows(
        layout,
        plan.rows,
        conformed.schema,
        plan.rewritten,
        parameters,
        options,
      );
      return {
        ...prepared,
        readFiles: plan.readFiles,
        conflictsWithAdd: plan.mayHoldSourceKeys,
        operationMetrics: { ...prepared.operationMetrics, ...plan.metrics },
      };
    });
    return {
      ...result,
      metrics: { ...rows, filesAdded: result.filesAdded, filesRemoved: result.filesRemoved },
    };
  }

  /** Delete the rows matching `predicate` (null counts as no match): files are rewritten or removed whole. */
  async delete(predicate: pl.Expr, options: Pick<WriteOptions, "txn"> = {}): Promise<DeleteResult> {
    let rowsDeleted = 0;
    const result = await this.execute("DELETE", options, async ({ snapshot, layout }) => {
      rowsDeleted = 0;
      const removed: AddAction[] = [];
      const kept: pl.DataFrame[] = [];
      for (const add of snapshot.files) {
        const rows = await readDataFile(layout, add);
        const survivors = rows.filter(predicate.fillNull(false).not());
        if (survivors.height === rows.height) continue;
        rowsDeleted += rows.height - survivors.height;
        removed.push(add);
        if (survivors.height > 0) kept.push(survivors);
      }
      if (removed.length > 0) assertMayChangeData(layout.configuration, this.root, "delete");
      const rows = kept.length === 0 ? undefined : pl.concat(kept, { how: "vertical" });
      const prepared = await this.writeRows(
        layout,
        rows,
        layout.schema,
        removed,
        { predicate: String(predicate) },
        {},
      );
      const readFiles = new Set(snapshot.files.map((add) => decodeLogPath(add.path)));
      return {
        ...prepared,
        readFiles,
        conflictsWithAdd: (_add: AddAction) => true,
        operationMetrics: { numDeletedRows: rowsDeleted },
      };
    });
    return { ...result, rowsDeleted };
  }

  /** Compact small files per partition (dataChange: false). */
  optimize(options: OptimizeOptions = {}): Promise<WriteResult> {
    return this.execute("OPTIMIZE", {}, async ({ snapshot, layout }) => {
      const bins = await planOptimize(layout, snapshot.files, options);
      const started = performance.now();
      const adds: AddAction[] = [];
      for (const bin of bins) adds.push(...(await writeDataFiles(layout, bin.rows, { dataChange: false })));
      const removes = bins.flatMap((bin) => bin.files);
      return {
        adds,
        removes,
        dataChange: false,
        rowsWritten: bins.reduce((sum, bin) => sum + bin.rows.height, 0),
        writeFilesMs: performance.now() - started,
        readFiles: new Set(removes.map((add) => decodeLogPath(add.path))),
        operationParameters: { targetSize: String(options.targetFileSize ?? 128 * 1024 * 1024) },
        operationMetrics: { numFilesAdded: adds.length, numFilesRemoved: removes.length },
      };
    });
  }

  async vacuum(options: VacuumOptions = {}): Promise<VacuumResult> {
    const { snapshot } = await loadWriterState(this.store, this.root);
    assertWritable(snapshot.protocol, this.root);
    return vacuum(this.store, this.root, snapshot, options);
  }

  /** Write a checkpoint for `version` (default: latest) and point `_last_checkpoint` at it. */
  async checkpoint(version?: number): Promise<CheckpointInfo> {
    const snapshot = await loadSnapshot(this.store, this.root, version === undefined ? {} : { version });
    return writeCheckpoint(this.store, this.root, {
      version: snapshot.version,
      protocol: snapshot.protocol,
      metadata: snapshot.metadata,
      files: snapshot.files,
      tombstones: liveTombstones(snapshot),
      txns: [...snapshot.txns.values()],
    });
  }

  /** Conform-and-write helper shared by append, overwrite, merge and delete. */
  private async writeRows(
    layout: TableLayout,
    rows: pl.DataFrame | undefined,
    schema: DeltaStruct,
    removes: readonly AddAction[],
    operationParameters: Readonly<Record<string, unknown>>,
    options: Pick<WriteOptions, "maxRowsPerFile">,
  ): Promise<Prepared> {
    const evolved = schema === layout.schema ? layout : { ...layout, schema };
    const started = performance.now();
    const adds =
      rows === undefined
        ? []
        : await writeDataFiles(evolved, rows, { maxRowsPerFile: options.maxRowsPerFile });
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
  private async execute(
    operation: string,
    options: Pick<WriteOptions, "txn">,
    prepare: (state: WriterState) => Promise<Prepared>,
  ): Promise<WriteResult> {
    const retries = this.options.operationRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const state = await loadWriterState(this.store, this.root);
      const { snapshot } = state;
      assertWritable(snapshot.protocol, this.root);
      const noop = (reason: string): WriteResult => ({
        version: snapshot.version,
        skipped: true,
        reason,
        filesAdded: 0,
        filesRemoved: 0,
        rowsWritten: 0,
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
          this.store,
          this.root,
          {
            readVersion: snapshot.version,
            actions,
            operation,
            operationParameters: prepared.operationParameters,
            operationMetrics: prepared.operationMetrics,
            readFiles: prepared.readFiles,
            conflictsWithAdd: prepared.conflictsWithAdd,
          },
          this.options.commit,
        );
      } catch (error) {
        if (!StrataError.is(error, "STRATA_ERR_DELTA_CONCURRENT_MODIFICATION")) throw error;
        // The files were never committed: remove them now rather than leave them to vacuum.
        await Promise.allSettled(
          prepared.adds.map((add) => this.store.delete(tableKey(this.root, decodeLogPath(add.path)))),
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
          checkpoint = await this.checkpoint(committed.version);
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
}
