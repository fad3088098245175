/**
 * The embedded Warehouse: DuckDB in one file (default `.strata/warehouse.duckdb`) or in memory.
 * Statements outside a transaction run on a small pool of connections, so independent model builds and
 * data tests (the engine runs them concurrently) run side by side instead of queueing on one connection;
 * each transaction gets a connection of its own, on which its statements run one after another, so
 * concurrent builds never share, or roll back, each other's work.
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBResultReader,
  DuckDBTypeId,
} from "@duckdb/node-api";
import { asError, quote, StrataError } from "../../engine/errors.ts";
import { DuckDbConnections } from "./duckdb-connections.ts";
import {
  type CreatedRelation,
  isIdentifier,
  qualified,
  type Relation,
  type RelationInfo,
  type RelationKind,
  type SourceColumn,
  type SourceFile,
  sqlString,
  type Warehouse,
  type WarehouseColumn,
  type WarehouseRow,
  type WarehouseValue,
} from "./warehouse.ts";

export const DEFAULT_WAREHOUSE_PATH = ".strata/warehouse.duckdb";

export interface DuckDbWarehouseOptions {
  /** A file path, or ":memory:". Defaults to `.strata/warehouse.duckdb` (relative to the cwd). */
  readonly path?: string;
  /**
   * DuckDB worker threads per statement (default 1). DuckDB parallelises a scan by row group (122,880
   * rows), so a Gold build of ~50k rows gains nothing from a second thread and spends ~35% more CPU on
   * it; the parallelism comes from the pool instead, which runs independent statements side by side.
   * Raise it for warehouses whose tables span many row groups.
   */
  readonly threads?: number;
  /** Connections for statements outside transactions, i.e. how many run at once (default 4). */
  readonly connections?: number;
}

const PORTABLE_TYPES = /^(VARCHAR|DATE|TIMESTAMP|DOUBLE|BIGINT|INTEGER|BOOLEAN)$/i;

export class DuckDbWarehouse implements Warehouse {
  readonly dialect = "duckdb";
  private closed = false;
  /** Schemas being created by this session, so concurrent callers wait for one CREATE SCHEMA. */
  private readonly creatingSchemas = new Map<string, Promise<void>>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connections: DuckDbConnections,
    /** True for the session handed to a transaction's work. */
    private readonly transactional: boolean,
  ) {}

  static async open(options: DuckDbWarehouseOptions = {}): Promise<DuckDbWarehouse> {
    const path = options.path ?? DEFAULT_WAREHOUSE_PATH;
    if (path !== ":memory:") await mkdir(dirname(path), { recursive: true });
    const instance = await DuckDBInstance.create(path, { threads: String(options.threads ?? 1) });
    // The first connection is opened here, so a warehouse that cannot be used fails at open.
    const first = await instance.connect();
    // Every Gold run rebuilds its tables, so each one is checkpointed (compressed into the file) anew. FSST
    // string compression made that ~30% dearer for a file ~25% smaller; dictionary and plain strings remain.
    await first.run("SET GLOBAL disabled_compression_methods = 'fsst'");
    const pool = new DuckDbConnections(() => instance.connect(), Math.max(1, options.connections ?? 4), [
      first,
    ]);
    return new DuckDbWarehouse(instance, pool, false);
  }

  async execute(sql: string): Promise<{ readonly rowsChanged: number }> {
    const result = await this.run(sql, (c) => c.run(sql));
    return { rowsChanged: result.rowsChanged };
  }

  async query(sql: string): Promise<WarehouseRow[]> {
    return toRows(await this.run(sql, (c) => c.runAndReadAll(sql)));
  }

  ensureSchema(schema: string): Promise<void> {
    assertIdentifier(schema);
    const pending = this.creatingSchemas.get(schema);
    if (pending !== undefined) return pending;
    const creating = this.createSchema(schema).finally(() => this.creatingSchemas.delete(schema));
    this.creatingSchemas.set(schema, creating);
    return creating;
  }

  async createOrReplace(kind: RelationKind, relation: Relation, selectSql: string): Promise<CreatedRelation> {
    assertRelation(relation);
    // One catalog look-up: no row when the schema is missing, a NULL type when the relation is.
    const [found] = await this.query(
      `SELECT t.table_type FROM information_schema.schemata AS s
       LEFT JOIN information_schema.tables AS t ON t.table_catalog = s.catalog_name
         AND t.table_schema = s.schema_name AND t.table_name = ${sqlString(relation.name)}
       WHERE s.catalog_name = current_database() AND s.schema_name = ${sqlString(relation.schema)}`,
    );
    if (found === undefined) await this.ensureSchema(relation.schema);
    // A view and a table cannot share a name, and CREATE OR REPLACE does not change the kind.
    const existing = found?.table_type === "VIEW" ? "view" : found?.table_type ? "table" : undefined;
    if (existing !== undefined && existing !== kind) await this.drop(relation);
    const keyword = kind === "view" ? "VIEW" : "TABLE";
    const sql = `CREATE OR REPLACE ${keyword} ${qualified(relation)} AS\n${selectSql}`;
    // DuckDB answers CREATE TABLE … AS with one row: the number of rows written.
    const [created] = await this.run(sql, async (c) => (await c.runAndReadAll(sql)).getRowsJS());
    const count = created?.[0];
    return kind === "table" && (typeof count === "bigint" || typeof count === "number")
      ? { rows: Number(count) }
      : {};
  }

  async drop(relation: Relation): Promise<void> {
    assertRelation(relation);
    const kind = await this.kindOf(relation);
    if (kind === undefined) return;
    await this.execute(`DROP ${kind === "view" ? "VIEW" : "TABLE"} ${qualified(relation)}`);
  }

  async exists(relation: Relation): Promise<boolean> {
    return (await this.kindOf(relation)) !== undefined;
  }

  async registerSource(
    relation: Relation,
    files: readonly SourceFile[],
    columns: readonly SourceColumn[] = [],
  ): Promise<void> {
    if (files.length > 0) {
      await this.createOrReplace("view", relation, sourceSelect(files, columns));
      return;
    }
    if (columns.length === 0) {
      throw new StrataError(
        "STRATA_ERR_WAREHOUSE",
        `Source ${quote(qualified(relation))} has no Parquet files and no declared columns, so its shape is unknown.`,
        { relation },
      );
    }
    const select = columns.map((c) => {
      if (!isIdentifier(c.name) || !PORTABLE_TYPES.test(c.type)) {
        throw new StrataError(
          "STRATA_ERR_WAREHOUSE",
          `Source column ${quote(c)} is not an identifier with a portable type.`,
        );
      }
      return `CAST(NULL AS ${c.type}) AS ${c.name}`;
    });
    await this.createOrReplace("view", relation, `SELECT ${select.join(", ")} WHERE 1 = 0`);
  }

  async listTables(schema?: string): Promise<RelationInfo[]> {
    const filter = schema === undefined ? "" : `AND table_schema = ${sqlString(schema)}`;
    const rows = await this.query(
      `SELECT table_schema, table_name, table_type FROM information_schema.tables
       WHERE table_catalog = current_database() ${filter} ORDER BY table_schema, table_name`,
    );
    return rows.map((r) => ({
      schema: String(r.table_schema),
      name: String(r.table_name),
      kind: r.table_type === "VIEW" ? "view" : "table",
    }));
  }

  async columns(relation: Relation): Promise<WarehouseColumn[]> {
    const rows = await this.query(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_catalog = current_database() AND table_schema = ${sqlString(relation.schema)}
         AND table_name = ${sqlString(relation.name)} ORDER BY ordinal_position`,
    );
    return rows.map((r) => ({
      name: String(r.column_name),
      type: String(r.data_type),
      nullable: r.is_nullable === "YES",
    }));
  }

  async transaction<T>(work: (tx: Warehouse) => Promise<T>): Promise<T> {
    if (this.transactional) return work(this);
    if (this.closed) throw closedError();
    const connection = await this.instance.connect();
    const session = new DuckDbWarehouse(
      this.instance,
      new DuckDbConnections(async () => connection, 1, [connection]),
      true,
    );
    try {
      await session.execute("BEGIN TRANSACTION");
      try {
        const result = await work(session);
        await session.execute("COMMIT");
        return result;
      } catch (error) {
        await session.execute("ROLLBACK").catch(() => undefined);
        throw error;
      }
    } finally {
      session.closed = true;
      await session.connections.close();
    }
  }

  /** Closes the warehouse. On a transaction's session it does nothing: the transaction ends it. */
  async close(): Promise<void> {
    if (this.closed || this.transactional) return;
    this.closed = true;
    await this.connections.close();
    this.instance.closeSync();
  }

  private async createSchema(schema: string): Promise<void> {
    // Looking first keeps concurrent transactions from conflicting on a catalog write for an existing schema.
    const found = await this.query(
      `SELECT 1 AS found FROM information_schema.schemata WHERE catalog_name = current_database() AND schema_name = ${sqlString(schema)}`,
    );
    if (found.length === 0) await this.execute(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  }

  private async kindOf(relation: Relation): Promise<RelationKind | undefined> {
    const rows = await this.query(
      `SELECT table_type FROM information_schema.tables WHERE table_catalog = current_database()
       AND table_schema = ${sqlString(relation.schema)} AND table_name = ${sqlString(relation.name)}`,
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return row.table_type === "VIEW" ? "view" : "table";
  }

  private async run<T>(sql: string, call: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closed) throw closedError();
    try {
      return await this.connections.use(call);
    } catch (thrown) {
      const cause = asError(thrown);
      throw new StrataError(
        "STRATA_ERR_WAREHOUSE",
        `${cause.message.trim()} — in statement ${quote(sql)}.`,
        { sql },
        { cause },
      );
    }
  }
}

/** The SELECT over a source's files; partition values become typed literal columns, file by file. */
function sourceSelect(files: readonly SourceFile[], columns: readonly SourceColumn[]): string {
  const normalised = files.map((f) => (typeof f === "string" ? { path: f, partitionValues: {} } : f));
  const partitioned = normalised.some((f) => Object.keys(f.partitionValues ?? {}).length > 0);
  if (!partitioned) {
    const list = normalised.map((f) => sqlString(f.path)).join(", ");
    // union_by_name: files written before a schema evolution lack the newer optional columns.
    return `SELECT * FROM read_parquet([${list}], union_by_name = true)`;
  }
  const typeOf = new Map(columns.map((c) => [c.name, c.type]));
  return normalised
    .map((f) => {
      const literals = Object.entries(f.partitionValues ?? {}).map(([name, value]) => {
        const type = typeOf.get(name) ?? "VARCHAR";
        if (!isIdentifier(name) || !PORTABLE_TYPES.test(type)) {
          throw new StrataError(
            "STRATA_ERR_WAREHOUSE",
            `Partition column ${quote(name)} (${quote(type)}) is not an identifier with a portable type.`,
          );
        }
        return `CAST(${value === null ? "NULL" : sqlString(value)} AS ${type}) AS ${name}`;
      });
      return `SELECT *, ${literals.join(", ")} FROM read_parquet(${sqlString(f.path)})`;
    })
    .join("\nUNION ALL BY NAME\n");
}

function closedError(): StrataError {
  return new StrataError("STRATA_ERR_WAREHOUSE", "The warehouse is closed; open a new one.");
}

function assertIdentifier(name: string): void {
  if (!isIdentifier(name)) {
    throw new StrataError(
      "STRATA_ERR_WAREHOUSE",
      `${quote(name)} is not a plain identifier (letters, digits, _).`,
    );
  }
}

function assertRelation(relation: Relation): void {
  assertIdentifier(relation.schema);
  assertIdentifier(relation.name);
}

function toRows(reader: DuckDBResultReader): WarehouseRow[] {
  const names = reader.columnNames();
  const typeIds = names.map((_, i) => reader.columnTypeId(i));
  return reader.getRowsJS().map((values) => {
    const row: Record<string, WarehouseValue> = {};
    names.forEach((name, i) => {
      row[name] = toValue(values[i] ?? null, typeIds[i]);
    });
    return row;
  });
}

type JsValue = ReturnType<DuckDBResultReader["getRowsJS"]>[number][number];

function toValue(value: JsValue, typeId: DuckDBTypeId | undefined): WarehouseValue {
  if (
    value === null ||
    typeof value === "boolean" ||
    typeof value === "number" ||
    typeof value === "string"
  ) {
    return value;
  }
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) {
    const iso = value.toISOString();
    return typeId === DuckDBTypeId.DATE ? iso.slice(0, 10) : iso;
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (Array.isArray(value)) return value.map((v) => toValue(v, undefined));
  const out: Record<string, WarehouseValue> = {};
  for (const [key, v] of Object.entries(value)) out[key] = toValue(v, undefined);
  return out;
}
