import Database from "better-sqlite3";
import type { JsonValue } from "../definitions/metadata.ts";
import { quote, StrataError } from "../errors.ts";
import { parseCheckData, parseMaterializationData } from "./event-data.ts";
import type {
  BackfillRecord,
  CheckResultRecord,
  EventInput,
  EventRecord,
  EventType,
  MaterializationRecord,
  PartitionStatus,
  RetentionPolicy,
  RunRecord,
  TickRecord,
} from "./records.ts";
import type { EventFilter, RunFilter, RunStorage, SensorTickCommit } from "./run-storage.ts";
import { isRow, parseBackfill, parseEvent, parseRun, parseTick } from "./sqlite-rows.ts";
import { MIGRATIONS } from "./sqlite-schema.ts";

const DAY = 86_400_000;
const placeholders = (n: number): string => Array.from({ length: n }, () => "?").join(",");
/** Partition "" stands for "unpartitioned" in the materialisation and check tables. */
const partitionColumn = (partition: string | undefined): string => partition ?? "";

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
 * Run storage on one SQLite file (WAL, so readers never block the writer). Calls are synchronous
 * underneath; the async port lets a PostgreSQL implementation serve several machines.
 */
export class SqliteRunStorage implements RunStorage {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  static open(path: string): SqliteRunStorage {
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      db.pragma("foreign_keys = ON");
      const storage = new SqliteRunStorage(db, path);
      storage.migrate();
      return storage;
    } catch (error) {
      db?.close();
      if (StrataError.is(error)) throw error;
      throw storageError(path, error);
    }
  }

  private migrate(): void {
    this.db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    const row: unknown = this.db.prepare("SELECT max(version) AS version FROM schema_version").get();
    const current = isRow(row) && typeof row.version === "number" ? row.version : 0;
    if (current > MIGRATIONS.length) {
      throw new StrataError(
        "STRATA_ERR_STORAGE",
        `run storage ${quote(this.path)} has schema version ${current}, newer than this Strata (${MIGRATIONS.length}).`,
      );
    }
    this.db.transaction(() => {
      for (let version = current + 1; version <= MIGRATIONS.length; version++) {
        this.db.exec(MIGRATIONS[version - 1] ?? "");
        this.db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(version);
      }
    })();
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private run<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (StrataError.is(error)) throw error;
      throw storageError(this.path, error);
    }
  }

  // --- runs -------------------------------------------------------------------------------------

  private insertRun(run: RunRecord): void {
    this.statement(
      "INSERT INTO runs (run_id, status, record, created_at, ended_at, backfill_id, origin_name, run_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      run.runId,
      run.status,
      JSON.stringify(run),
      run.createdAt,
      run.endedAt ?? null,
      run.backfillId ?? null,
      run.origin?.name ?? null,
      run.runKey ?? null,
    );
    const insertAsset = this.statement("INSERT OR IGNORE INTO run_assets (run_id, asset_key) VALUES (?, ?)");
    for (const key of run.assetKeys) insertAsset.run(run.runId, key);
  }

  async createRun(run: RunRecord): Promise<void> {
    this.run(() => this.db.transaction(() => this.insertRun(run))());
  }

  async updateRun(runId: string, patch: Partial<Omit<RunRecord, "runId">>): Promise<RunRecord> {
    return this.run(() => {
      const current = this.getRunSync(runId);
      if (!current) throw new StrataError("STRATA_ERR_UNKNOWN_RUN", `run ${quote(runId)} does not exist.`);
      const next: RunRecord = { ...current, ...patch, runId };
      this.statement("UPDATE runs SET status = ?, record = ?, ended_at = ? WHERE run_id = ?").run(
        next.status,
        JSON.stringify(next),
        next.endedAt ?? null,
        runId,
      );
      return next;
    });
  }

  private getRunSync(runId: string): RunRecord | undefined {
    const row: unknown = this.statement("SELECT record FROM runs WHERE run_id = ?").get(runId);
    return isRow(row) ? parseRun(row.record) : undefined;
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.run(() => this.getRunSync(runId));
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.run(() => {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (filter.statuses) {
        where.push(`status IN (${placeholders(filter.statuses.length)})`);
        params.push(...filter.statuses);
      }
      if (filter.assetKey) {
        where.push("run_id IN (SELECT run_id FROM run_assets WHERE asset_key = ?)");
        params.push(filter.assetKey);
      }
      if (filter.backfillId) {
        where.push("backfill_id = ?");
        params.push(filter.backfillId);
      }
      if (filter.beforeRunId) {
        where.push("rowid < (SELECT rowid FROM runs WHERE run_id = ?)");
        params.push(filter.beforeRunId);
      }
      const sql = `SELECT record FROM runs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY rowid DESC LIMIT ?`;
      const rows: unknown[] = this.db.prepare(sql).all(...params, filter.limit ?? 1000);
      return rows.filter(isRow).map((row) => parseRun(row.record));
    });
  }

  async claimRun(runId: string, startedAt: number): Promise<boolean> {
    return this.run(() =>
      this.db.transaction(() => {
        const current = this.getRunSync(runId);
        if (current?.status !== "queued") return false;
        const next: RunRecord = { ...current, status: "started", startedAt };
        this.statement(
          "UPDATE runs SET status = 'started', record = ? WHERE run_id = ? AND status = 'queued'",
        ).run(JSON.stringify(next), runId);
        return true;
      })(),
    );
  }

  // --- events -----------------------------------------------------------------------------------

  private appendSync(event: EventInput): EventRecord {
    const data = event.data === undefined ? null : JSON.stringify(event.data);
    const info = this.statement(
      "INSERT INTO events (run_id, type, asset_key, partition, level, message, data, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      event.runId,
      event.type,
      event.assetKey ?? null,
      event.partition ?? null,
      event.level ?? null,
      event.message,
      data,
      event.timestamp,
    );
    const id = Number(info.lastInsertRowid);
    if (event.assetKey !== undefined && data !== null) {
      const partition = partitionColumn(event.partition);
      if (event.type === "ASSET_MATERIALIZATION") {
        this.statement(
          "INSERT INTO materializations (event_id, asset_key, partition, run_id, timestamp, data) VALUES (?, ?, ?, ?, ?, ?)",
        ).run(id, event.assetKey, partition, event.runId, event.timestamp, data);
      } else if (event.type === "CHECK_EVALUATION") {
        const check = parseCheckData(event.data);
        if (!check)
          throw new StrataError(
            "STRATA_ERR_STORAGE",
            `CHECK_EVALUATION event for ${quote(event.assetKey)} has no check data.`,
          );
        this.statement(
          "INSERT INTO check_results (event_id, asset_key, check_name, partition, run_id, timestamp, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ).run(id, event.assetKey, check.checkName, partition, event.runId, event.timestamp, data);
      }
    }
    return { ...event, id };
  }

  async appendEvent(event: EventInput): Promise<EventRecord> {
    return this.run(() => this.db.transaction(() => this.appendSync(event))());
  }

  async appendEvents(events: readonly EventInput[]): Promise<EventRecord[]> {
    return this.run(() => this.db.transaction(() => events.map((event) => this.appendSync(event)))());
  }

  async listEvents(runId: string, filter: EventFilter = {}): Promise<EventRecord[]> {
    return this.run(() => {
      const types = filter.types ?? [];
      const sql = `SELECT * FROM events WHERE run_id = ? AND id > ? ${types.length > 0 ? `AND type IN (${placeholders(types.length)})` : ""} ORDER BY id LIMIT ?`;
      const rows: unknown[] = this.db
        .prepare(sql)
        .all(runId, filter.afterId ?? 0, ...types, filter.limit ?? 100_000);
      return rows.map(parseEvent);
    });
  }

  async listEventsAfter(
    afterId: number,
    types: readonly EventType[],
    limit = 10_000,
  ): Promise<EventRecord[]> {
    return this.run(() => {
      const sql = `SELECT * FROM events WHERE id > ? AND type IN (${placeholders(types.length)}) ORDER BY id LIMIT ?`;
      const rows: unknown[] = this.db.prepare(sql).all(afterId, ...types, limit);
      return rows.map(parseEvent);
    });
  }

  async latestEventId(): Promise<number> {
    return this.run(() => {
      const row: unknown = this.statement("SELECT max(id) AS id FROM events").get();
      return isRow(row) && typeof row.id === "number" ? row.id : 0;
    });
  }

  // --- materialisations and checks --------------------------------------------------------------

  private toMaterialization(row: unknown): MaterializationRecord {
    if (
      !isRow(row) ||
      typeof row.event_id !== "number" ||
      typeof row.asset_key !== "string" ||
      typeof row.run_id !== "string" ||
      typeof row.timestamp !== "number" ||
      typeof row.data !== "string"
    ) {
      throw new StrataError("STRATA_ERR_STORAGE", "run storage holds a malformed materialisation.");
    }
    const data: JsonValue = JSON.parse(row.data);
    const parsed = parseMaterializationData(data);
    return {
      eventId: row.event_id,
      assetKey: row.asset_key,
      runId: row.run_id,
      timestamp: row.timestamp,
      metadata: parsed.metadata,
      ...(typeof row.partition === "string" && row.partition !== "" && { partition: row.partition }),
      ...(parsed.codeVersion !== undefined && { codeVersion: parsed.codeVersion }),
      ...(parsed.dataVersion !== undefined && { dataVersion: parsed.dataVersion }),
    };
  }

  /** With no partition: the latest materialisation of any partition (or of the unpartitioned asset). */
  async latestMaterialization(
    assetKey: string,
    partition?: string,
  ): Promise<MaterializationRecord | undefined> {
    return this.run(() => {
      const row: unknown =
        partition === undefined
          ? this.statement(
              "SELECT * FROM materializations WHERE asset_key = ? ORDER BY event_id DESC LIMIT 1",
            ).get(assetKey)
          : this.statement(
              "SELECT * FROM materializations WHERE asset_key = ? AND partition = ? ORDER BY event_id DESC LIMIT 1",
            ).get(assetKey, partition);
      return row === undefined ? undefined : this.toMaterialization(row);
    });
  }

  async materializations(
    assetKey: string,
    options: { partition?: string; limit?: number } = {},
  ): Promise<MaterializationRecord[]> {
    return this.run(() => {
      const rows: unknown[] =
        options.partition === undefined
          ? this.statement(
              "SELECT * FROM materializations WHERE asset_key = ? ORDER BY event_id DESC LIMIT ?",
            ).all(assetKey, options.limit ?? 100)
          : this.statement(
              "SELECT * FROM materializations WHERE asset_key = ? AND partition = ? ORDER BY event_id DESC LIMIT ?",
            ).all(assetKey, options.partition, options.limit ?? 100);
      return rows.map((row) => this.toMaterialization(row));
    });
  }

  async checkResults(
    assetKey: string,
    options: { checkName?: string; limit?: number } = {},
  ): Promise<CheckResultRecord[]> {
    return this.run(() => {
      const rows: unknown[] =
        options.checkName === undefined
          ? this.statement(
              "SELECT * FROM check_results WHERE asset_key = ? ORDER BY event_id DESC LIMIT ?",
            ).all(assetKey, options.limit ?? 100)
          : this.statement(
              "SELECT * FROM check_results WHERE asset_key = ? AND check_name = ? ORDER BY event_id DESC LIMIT ?",
            ).all(assetKey, options.checkName, options.limit ?? 100);
      return rows.flatMap((row): CheckResultRecord[] => {
        if (
          !isRow(row) ||
          typeof row.event_id !== "number" ||
          typeof row.run_id !== "string" ||
          typeof row.timestamp !== "number" ||
          typeof row.data !== "string"
        )
          return [];
        const data: JsonValue = JSON.parse(row.data);
        const check = parseCheckData(data);
        if (!check) return [];
        return [
          {
            eventId: row.event_id,
            assetKey,
            runId: row.run_id,
            timestamp: row.timestamp,
            ...check,
            ...(typeof row.partition === "string" && row.partition !== "" && { partition: row.partition }),
          },
        ];
      });
    });
  }

  /**
   * Per partition: materialized (latest outcome a materialisation), failed (a step failure after
   * the last materialisation), in_progress (started in a run still queued/started, no outcome yet).
   * Unpartitioned assets report under the key "".
   */
  async partitionStatuses(assetKey: string): Promise<ReadonlyMap<string, PartitionStatus>> {
    return this.run(() => {
      const rows: unknown[] = this.statement(`
        SELECT coalesce(e.partition, '') AS partition, e.type AS type, r.status AS run_status
        FROM events e JOIN runs r ON r.run_id = e.run_id
        WHERE e.asset_key = ? AND e.type IN ('ASSET_MATERIALIZATION', 'STEP_FAILURE', 'STEP_STARTED')
        ORDER BY e.id`).all(assetKey);
      const statuses = new Map<string, PartitionStatus>();
      for (const row of rows) {
        if (!isRow(row) || typeof row.partition !== "string") continue;
        if (row.type === "ASSET_MATERIALIZATION") statuses.set(row.partition, "materialized");
        else if (row.type === "STEP_FAILURE") statuses.set(row.partition, "failed");
        else if (row.run_status === "queued" || row.run_status === "started")
          statuses.set(row.partition, "in_progress");
      }
      const materialized: unknown[] = this.statement(
        "SELECT DISTINCT partition FROM materializations WHERE asset_key = ?",
      ).all(assetKey);
      for (const row of materialized) {
        // events of pruned runs are gone, but their materialisations are kept
        if (isRow(row) && typeof row.partition === "string" && !statuses.has(row.partition))
          statuses.set(row.partition, "materialized");
      }
      return statuses;
    });
  }

  // --- cursors, ticks, backfills ----------------------------------------------------------------

  async getCursor(name: string): Promise<string | undefined> {
    return this.run(() => {
      const row: unknown = this.statement("SELECT value FROM kv WHERE key = ?").get(name);
      return isRow(row) && typeof row.value === "string" ? row.value : undefined;
    });
  }

  async setCursor(name: string, cursor: string): Promise<void> {
    this.run(() =>
      this.statement(
        "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ).run(name, cursor),
    );
  }

  private insertTick(tick: Omit<TickRecord, "id">): TickRecord {
    const info = this.statement("INSERT INTO ticks (kind, name, timestamp, record) VALUES (?, ?, ?, ?)").run(
      tick.kind,
      tick.name,
      tick.timestamp,
      JSON.stringify(tick),
    );
    return { ...tick, id: Number(info.lastInsertRowid) };
  }

  async commitSensorTick(commit: SensorTickCommit): Promise<TickRecord> {
    return this.run(() =>
      this.db.transaction(() => {
        const seen = this.runKeysSeenSync(
          commit.sensorName,
          commit.runs.flatMap((r) => (r.runKey === undefined ? [] : [r.runKey])),
        );
        const inserted = commit.runs.filter((run) => run.runKey === undefined || !seen.has(run.runKey));
        for (const run of inserted) this.insertRun(run);
        if (commit.cursor !== undefined) {
          this.statement(
            "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          ).run(`sensor:${commit.sensorName}`, commit.cursor);
        }
        return this.insertTick({
          kind: "sensor",
          name: commit.sensorName,
          timestamp: commit.timestamp,
          status: inserted.length > 0 ? commit.status : "skipped",
          runIds: inserted.map((run) => run.runId),
          ...(commit.cursor !== undefined && { cursor: commit.cursor }),
          ...(inserted.length === 0 && {
            skipReason: commit.skipReason ?? "every run key was already requested",
          }),
          ...(commit.error !== undefined && { error: commit.error }),
        });
      })(),
    );
  }

  private runKeysSeenSync(origin: string, runKeys: readonly string[]): Set<string> {
    const seen = new Set<string>();
    for (let i = 0; i < runKeys.length; i += 500) {
      const chunk = runKeys.slice(i, i + 500);
      const rows: unknown[] = this.db
        .prepare(
          `SELECT run_key FROM runs WHERE origin_name = ? AND run_key IN (${placeholders(chunk.length)})`,
        )
        .all(origin, ...chunk);
      for (const row of rows) if (isRow(row) && typeof row.run_key === "string") seen.add(row.run_key);
    }
    return seen;
  }

  async runKeysSeen(origin: string, runKeys: readonly string[]): Promise<ReadonlySet<string>> {
    return this.run(() => this.runKeysSeenSync(origin, runKeys));
  }

  async addTick(tick: Omit<TickRecord, "id">): Promise<TickRecord> {
    return this.run(() => this.insertTick(tick));
  }

  async listTicks(kind: TickRecord["kind"], name: string, limit = 50): Promise<TickRecord[]> {
    return this.run(() => {
      const rows: unknown[] = this.statement(
        "SELECT id, record FROM ticks WHERE kind = ? AND name = ? ORDER BY id DESC LIMIT ?",
      ).all(kind, name, limit);
      return rows.map(parseTick);
    });
  }

  async createBackfill(backfill: BackfillRecord): Promise<void> {
    this.run(() =>
      this.statement("INSERT INTO backfills (backfill_id, created_at, record) VALUES (?, ?, ?)").run(
        backfill.backfillId,
        backfill.createdAt,
        JSON.stringify(backfill),
      ),
    );
  }

  async updateBackfill(
    backfillId: string,
    patch: Partial<Omit<BackfillRecord, "backfillId">>,
  ): Promise<BackfillRecord> {
    return this.run(() =>
      this.db.transaction(() => {
        const row: unknown = this.statement("SELECT record FROM backfills WHERE backfill_id = ?").get(
          backfillId,
        );
        if (!isRow(row))
          throw new StrataError("STRATA_ERR_UNKNOWN_RUN", `backfill ${quote(backfillId)} does not exist.`);
        const next: BackfillRecord = { ...parseBackfill(row.record), ...patch, backfillId };
        this.statement("UPDATE backfills SET record = ? WHERE backfill_id = ?").run(
          JSON.stringify(next),
          backfillId,
        );
        return next;
      })(),
    );
  }

  async getBackfill(backfillId: string): Promise<BackfillRecord | undefined> {
    return this.run(() => {
      const row: unknown = this.statement("SELECT record FROM backfills WHERE backfill_id = ?").get(
        backfillId,
      );
      return isRow(row) ? parseBackfill(row.record) : undefined;
    });
  }

  async listBackfills(limit = 50): Promise<BackfillRecord[]> {
    return this.run(() => {
      const rows: unknown[] = this.statement(
        "SELECT record FROM backfills ORDER BY created_at DESC LIMIT ?",
      ).all(limit);
      return rows.filter(isRow).map((row) => parseBackfill(row.record));
    });
  }

  // --- retention --------------------------------------------------------------------------------

  /**
   * Deletes runs that ended before the horizon, with their events and check results, but keeps each
   * asset's latest materialisation per partition (the catalog's status must survive); ticks older
   * than their horizon go too, except each instigator's newest.
   */
  async prune(
    policy: RetentionPolicy,
    now: number,
  ): Promise<{ runs: number; events: number; ticks: number }> {
    return this.run(() =>
      this.db.transaction(() => {
        const runHorizon = now - policy.runDays * DAY;
        const old = "SELECT run_id FROM runs WHERE ended_at IS NOT NULL AND ended_at < ?";
        this.db
          .prepare(`
          DELETE FROM materializations WHERE run_id IN (${old}) AND event_id NOT IN (
            SELECT max(event_id) FROM materializations GROUP BY asset_key, partition)`)
          .run(runHorizon);
        this.db.prepare(`DELETE FROM check_results WHERE run_id IN (${old})`).run(runHorizon);
        const events = this.db.prepare(`DELETE FROM events WHERE run_id IN (${old})`).run(runHorizon).changes;
        this.db.prepare(`DELETE FROM run_assets WHERE run_id IN (${old})`).run(runHorizon);
        const runs = this.db
          .prepare("DELETE FROM runs WHERE ended_at IS NOT NULL AND ended_at < ?")
          .run(runHorizon).changes;
        const ticks = this.db
          .prepare(
            "DELETE FROM ticks WHERE timestamp < ? AND id NOT IN (SELECT max(id) FROM ticks GROUP BY kind, name)",
          )
          .run(now - policy.tickDays * DAY).changes;
        return { runs, events, ticks };
      })(),
    );
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
