/**
 * The Warehouse port: where the Gold SQL models and data tests run. Implementations: DuckDB (embedded
 * default, a file under .strata/ or in memory) and, later, Snowflake. Callers pass SQL already rendered
 * for `dialect`; the port only runs it and manages schema objects, so dialect knowledge stays in the
 * SQL project's macros and in the implementation of the few DDL helpers below.
 */
export type SqlDialect = "duckdb" | "snowflake";

/** A schema-qualified table or view name, e.g. { schema: "marts", name: "fact_sales" }. */
export interface Relation {
  readonly schema: string;
  readonly name: string;
}

/**
 * A value read back from the warehouse. Integers that fit a JS number are numbers (larger ones are
 * decimal strings); DATE is 'YYYY-MM-DD'; TIMESTAMP is an ISO-8601 string; lists and structs nest.
 */
export type WarehouseValue =
  | null
  | boolean
  | number
  | string
  | readonly WarehouseValue[]
  | { readonly [key: string]: WarehouseValue };

export type WarehouseRow = Readonly<Record<string, WarehouseValue>>;

export type RelationKind = "table" | "view";

export interface RelationInfo extends Relation {
  readonly kind: RelationKind;
}

export interface CreatedRelation {
  readonly rows?: number;
}

export interface WarehouseColumn {
  readonly name: string;
  /** The warehouse's own type name, e.g. VARCHAR, DATE, DOUBLE. */
  readonly type: string;
  readonly nullable: boolean;
}

/** Declared columns of a source, used when a Delta snapshot has no data file yet. */
export interface SourceColumn {
  readonly name: string;
  /** A portable SQL type: VARCHAR, DATE, TIMESTAMP, DOUBLE, BIGINT, INTEGER, BOOLEAN. */
  readonly type: string;
}

/** A data file of a source: its path, and for partitioned Delta tables its partition values. */
export type SourceFile =
  | string
  | { readonly path: string; readonly partitionValues?: Readonly<Record<string, string | null>> };

export interface Warehouse {
  readonly dialect: SqlDialect;
  /** Runs one or more statements; returns the rows changed by the last one (0 for DDL). */
  execute(sql: string): Promise<{ readonly rowsChanged: number }>;
  /** Runs a query and returns every row. */
  query(sql: string): Promise<WarehouseRow[]>;
  ensureSchema(schema: string): Promise<void>;
  /**
   * CREATE OR REPLACE <kind> relation AS selectSql (creating the schema first). For a table, `rows` is the
   * number of rows it was created with when the warehouse reports it (so callers need not count them).
   */
  createOrReplace(kind: RelationKind, relation: Relation, selectSql: string): Promise<CreatedRelation>;
  drop(relation: Relation): Promise<void>;
  exists(relation: Relation): Promise<boolean>;
  /**
   * Exposes the Parquet files of a Delta snapshot (absolute paths or URLs) as a view named `relation`.
   * Partition values (kept in the Delta log, not in the files) become typed columns, typed by `columns`
   * (VARCHAR when undeclared). With no files, `columns` declares the (empty) view's shape.
   */
  registerSource(
    relation: Relation,
    files: readonly SourceFile[],
    columns?: readonly SourceColumn[],
  ): Promise<void>;
  /** Tables and views, optionally of one schema, sorted by schema then name. */
  listTables(schema?: string): Promise<RelationInfo[]>;
  columns(relation: Relation): Promise<WarehouseColumn[]>;
  /**
   * Runs `work` in one transaction on its own session: every statement issued through `tx` commits
   * together or none does, and work done concurrently on this warehouse is neither part of it nor
   * rolled back with it. Calling transaction() on `tx` joins the same transaction.
   */
  transaction<T>(work: (tx: Warehouse) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Schema and relation names are plain identifiers, left unquoted on purpose: Snowflake upper-cases
 * unquoted names, so quoting here would make `marts.fact_sales` in a model miss the table we create.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

export function qualified(relation: Relation): string {
  return `${relation.schema}.${relation.name}`;
}

/** A SQL string literal valid in both dialects. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
