/**
 * The Delta table facade the pipeline uses: create, append, overwrite, merge, delete, time-travel
 * reads and maintenance on one table through the ObjectStore port. Every write follows the same
 * path: load the latest snapshot, check the table is writable, write data files, commit with
 * optimistic concurrency; a logical conflict re-runs the whole operation on the new snapshot.
 */
import pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import type { AddAction, MetadataAction } from "./actions.ts";
import type { CheckpointInfo } from "./checkpoint-writer.ts";
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
import { loadWriterState } from "./table-state.ts";
import { checkpointTable, prepareRows, runOperation, type WriteResult } from "./transaction.ts";
import { assertMayChangeData, assertWritable, checkpointInterval, WRITER_PROTOCOL } from "./write-guards.ts";
import { readDataFile, writeDataFiles } from "./writer.ts";

export type { MergeColumns, MergeRowMetrics } from "./merge.ts";
export { whenSourceNewer } from "./merge.ts";
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

export type { WriteResult } from "./transaction.ts";

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

export class DeltaTable {
  private constructor(
    readonly store: ObjectStore,
    readonly root: string,
    readonly options: DeltaTableOptions,
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
    return runOperation(this, "WRITE", options, async ({ layout }) => {
      const conformed = conformFrame(frame, layout.schema, options);
      return prepareRows(layout, conformed.frame, conformed.schema, [], { mode: "Append" }, options);
    });
  }

  overwrite(frame: pl.DataFrame, options: OverwriteOptions = {}): Promise<WriteResult> {
    return runOperation(this, "WRITE", options, async ({ snapshot, layout }) => {
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
      const prepared = await prepareRows(
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
    const result = await runOperation(this, "MERGE", options, async ({ snapshot, layout }) => {
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
      const prepared = await prepareRows(
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
    const result = await runOperation(this, "DELETE", options, async ({ snapshot, layout }) => {
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
      const prepared = await prepareRows(
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
    return runOperation(this, "OPTIMIZE", {}, async ({ snapshot, layout }) => {
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
  checkpoint(version?: number): Promise<CheckpointInfo> {
    return checkpointTable(this.store, this.root, version);
  }
}
