import Database from "better-sqlite3";
import { quote, StrataError } from "../errors.ts";
import { isRow } from "./sqlite-rows.ts";
import { MIGRATIONS } from "./sqlite-schema.ts";

function storageError(path: string, error: unknown): StrataError {
  const reason = error instanceof Error ? error.message : String(error);
  return new StrataError(
    "STRATA_ERR_STORAGE",
    `run storage ${quote(path)}: ${reason}.`,
    { path },
    { cause: error },
  );
}

/**
 * One SQLite connection of run storage: opening with the pragmas run storage relies on, schema
 * migration, a prepared-statement cache, and turning every SQLite failure into STRATA_ERR_STORAGE
 * naming the file (the caller's fix is about the file, not about SQL).
 */
export class SqliteConnection {
  // appendEvent runs thousands of times per run: prepare each SQL text once per connection
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
  ) {}

  /** Opens (creating if needed) the file at `path`, or ":memory:"; its folder must exist. */
  static open(path: string): SqliteConnection {
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      // WAL: readers (CLI, UI) never block the daemon's writes; NORMAL is durable across process
      // crashes in WAL mode and skips an fsync per commit, which appendEvent cannot afford
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      const connection = new SqliteConnection(db, path);
      connection.migrate();
      return connection;
    } catch (error) {
      db?.close();
      if (StrataError.is(error)) throw error;
      throw storageError(path, error);
    }
  }

  /** IMMEDIATE: two processes opening a fresh file must not both apply the same migration. */
  private migrate(): void {
    this.db
      .transaction(() => {
        this.db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        const row: unknown = this.db.prepare("SELECT max(version) AS version FROM schema_version").get();
        const current = isRow(row) && typeof row.version === "number" ? row.version : 0;
        if (current > MIGRATIONS.length) {
          throw new StrataError(
            "STRATA_ERR_STORAGE",
            `run storage ${quote(this.path)} has schema version ${current}, newer than this Strata's ${MIGRATIONS.length}.`,
            { path: this.path, version: current },
          );
        }
        for (let version = current + 1; version <= MIGRATIONS.length; version++) {
          this.db.exec(MIGRATIONS[version - 1] ?? "");
          this.db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(version);
        }
      })
      .immediate();
  }

  statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `work`, turning any uncoded failure into STRATA_ERR_STORAGE. */
  run<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (StrataError.is(error)) throw error;
      throw storageError(this.path, error);
    }
  }

  /** A write transaction; IMMEDIATE so read-then-write never fails on a lock upgrade. */
  write<T>(work: () => T): T {
    return this.run(() => this.db.transaction(work).immediate());
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
