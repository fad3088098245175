/**
 * The embedded Warehouse: DuckDB in one file (default `.strata/warehouse.duckdb`) or in memory.
 * Calls on one session are serialised through a promise chain because a DuckDB connection must not
 * run two statements at once; each transaction gets a connection of its own so that concurrent model
 * builds (the engine runs independent assets in parallel) never share, or roll back, each other's work.
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
import {
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
  /** DuckDB threads; the default leaves the machine to other work. */
  readonly threads?: number;
}

const PORTABLE_TYPES = /^(VARCHAR|DATE|TIMESTAMP|DOUBLE|BIGINT|INTEGER|BOOLEAN)$/i;

export class DuckDbWarehouse implements Warehouse {
  readonly dialect = "duckdb";
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** True for the session handed to a transaction's work. */
    private readonly transactional: boolean,
  ) {}

  static async open(options: DuckDbWarehouseOptions = {}): Promise<DuckDbWarehouse> {
    const path = options.path ?? DEFAULT_WAREHOUSE_PATH;
    if (path !== ":memory:") await mkdir(dirname(path), { recursive: true });
    const instance = await DuckDBInstance.create(path, { threads: String(options.threads ?? 2) });
    const connection = await instance.connect();
    return new DuckDbWarehouse(instance, connection, false);
  }

  execute(sql: string): Promise<{ readonly rowsChanged: number }> {
    return this.serial(async () => {
      const result = await this.run(sql, (c) => c.run(sql));
      return { rowsChanged: result.rowsChanged };
    });
  }

  query(sql: string): Promise<WarehouseRow[]> {
    return this.serial(async () => toRows(await this.run(sql, (c) => c.runAndReadAll(sql))));
  }

  async ensureSchema(schema: string): Promise<void> {
    assertIdentifier(schema);
    // Looking first keeps concurrent transactions from conflicting on a catalog write for an existing schema.
    const found = await this.query(
      `SELECT 1 AS found FROM information_schema.schemata WHERE catalog_name = current_database() AND schema_name = ${sqlString(schema)}`,
    );
    if (found.length === 0) await this.execute(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  }

  async createOrReplace(kind: RelationKind, relation: Relation, selectSql: string): Promise<void> {
    assertRelation(relation);
    await this.ensureSchema(relation.schema);
    // A view and a table cannot share a name, and CREATE OR REPLACE does not change the kind.
    const existing = await this.kindOf(relation);
    if (existing !== undefined && existing !== kind) await this.drop(relation);
    const keyword = kind === "view" ? "VIEW" : "TABLE";
    await this.execute(`CREATE OR REPLACE ${keyword} ${qualified(relation)} AS\n${selectSql}`);
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
    const session = new DuckDbWarehouse(this.instance, await this.instance.connect(), true);
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
      session.connection.closeSync();
    }
  }

  /** Closes the warehouse. On a transaction's session it does nothing: the transaction ends it. */
  async close(): Promise<void> {
    if (this.closed || this.transactional) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    this.connection.closeSync();
    this.instance.closeSync();
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

  private serial<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(
        new StrataError("STRATA_ERR_WAREHOUSE", "The warehouse is closed; open a new one."),
      );
    }
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run<T>(sql: string, call: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    try {
      return await call(this.connection);
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
