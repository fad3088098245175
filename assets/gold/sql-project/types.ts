/**
 * The typed, in-memory SQL project: what `loadSqlProject` returns and what the engine wraps into
 * assets (`gold/<model>`) and asset checks (one per test). Generic: nothing here knows about sales.
 */
import type { Relation, SourceColumn, SqlDialect } from "../../../resources/warehouse/warehouse.ts";

export type Materialization = "view" | "table" | "incremental" | "snapshot";
export type Severity = "warn" | "error";

export interface ModelConfig {
  readonly materialized: Materialization;
  /** Warehouse schema; defaults to the model's top folder (staging, marts, snapshots, …). */
  readonly schema: string;
  /** Incremental merge key, or the snapshot's entity id. */
  readonly uniqueKey: readonly string[];
  /** Incremental only: merge on uniqueKey (default when one is set) or append. */
  readonly incrementalStrategy: "merge" | "append";
  /** Snapshot only: columns whose change opens a new version (the check strategy). */
  readonly checkCols: readonly string[];
  /** Snapshot only: the column holding the date an id first appeared (first version's valid_from). */
  readonly firstSeen: string | undefined;
  /** Snapshot only: the column holding the date the current attribute values took effect. */
  readonly changedAt: string | undefined;
  readonly tags: readonly string[];
  readonly description: string | undefined;
}

export interface SourceName {
  readonly source: string;
  readonly table: string;
}

export interface DeclaredSource extends SourceName {
  readonly relation: Relation;
  /** The source's columns, used to register an empty source (a Delta table with no files yet). */
  readonly columns: readonly SourceColumn[];
}

export interface CompileOptions {
  readonly dialect: SqlDialect;
  /** True when an incremental model's table exists and this is not a full refresh. */
  readonly isIncremental: boolean;
}

export interface SqlModel {
  readonly name: string;
  readonly relation: Relation;
  /** The folder the file sits in under the project (e.g. "staging", "marts/finance"). */
  readonly folder: string;
  readonly path: string;
  readonly config: ModelConfig;
  /** Models this one reads through ref(), sorted, unique. */
  readonly refs: readonly string[];
  readonly sources: readonly SourceName[];
  /** The model's SELECT, rendered for a dialect. */
  compile(options: CompileOptions): string;
}

export interface SqlTest {
  readonly name: string;
  /** The file the test comes from (a .sql file, or the generic-test declaration it was expanded from). */
  readonly path: string;
  readonly kind: "singular" | "generic";
  readonly severity: Severity;
  /** The model the test is attached to: its config's `model`, else its first ref. */
  readonly model: string;
  /** Every model the test reads. */
  readonly models: readonly string[];
  readonly description: string | undefined;
  /** A query returning the failing rows (none = pass), rendered for a dialect. */
  sql(dialect: SqlDialect): string;
}

export interface SqlProject {
  readonly dir: string;
  /** Every model, in dependency order (each after the models it refs). */
  readonly models: readonly SqlModel[];
  readonly tests: readonly SqlTest[];
  readonly sources: readonly DeclaredSource[];
  /** The model with that name; throws STRATA_ERR_SQL_UNKNOWN_REF with a suggestion otherwise. */
  model(name: string): SqlModel;
  /** Tests attached to a model (by `SqlTest.model`). */
  testsOf(model: string): readonly SqlTest[];
}
