import type Database from "better-sqlite3";
import { quote, StrataError } from "../errors.ts";
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
import { SqliteConnection } from "./sqlite-connection.ts";
import { appendEventRow, readEventsAfter, readRunEvents } from "./sqlite-events.ts";
import { pruneRuns } from "./sqlite-retention.ts";
import {
  isRow,
  parseBackfill,
  parseCheckResult,
  parseMaterialization,
  parseRun,
  parseTick,
} from "./sqlite-rows.ts";
import { readPartitionStatuses } from "./sqlite-status.ts";

const INSERT_RUN =
  "INSERT INTO runs (run_id, status, record, created_at, ended_at, backfill_id, origin_name, run_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
const UPSERT_KV =
  "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/** The indexed copies of a run's fields, in INSERT_RUN order after run_id. */
const runColumns = (run: RunRecord) =>
  [
    run.status,
    JSON.stringify(run),
    run.createdAt,
    run.endedAt ?? null,
    run.backfillId ?? null,
    run.origin?.name ?? null,
    run.runKey ?? null,
  ] as const;

/**
 * Run storage on one SQLite file (WAL, so readers never block the writer). Calls are synchronous
 * underneath; the async port lets a PostgreSQL implementation serve several machines. Every
 * SQLite failure surfaces as STRATA_ERR_STORAGE naming the file.
 */
export class SqliteRunStorage implements RunStorage {
  // built once: better-sqlite3 wraps a function per transaction() call, too costly per event
  private readonly appendOne: Database.Transaction<(event: EventInput) => EventRecord>;
  private readonly appendMany: Database.Transaction<(events: readonly EventInput[]) => EventRecord[]>;

  private constructor(private readonly connection: SqliteConnection) {
    this.appendOne = connection.db.transaction((event: EventInput) => appendEventRow(connection, event));
    this.appendMany = connection.db.transaction((events: readonly EventInput[]) =>
      events.map((event) => appendEventRow(connection, event)),
    );
  }

  /** Opens (creating if needed) the file at `path`, or ":memory:"; its folder must exist. */
  static open(path: string): SqliteRunStorage {
    return new SqliteRunStorage(SqliteConnection.open(path));
  }

  get path(): string {
    return this.connection.path;
  }

  private readonly statement = (sql: string) => this.connection.statement(sql);
  private readonly run = <T>(work: () => T): T => this.connection.run(work);
  private readonly write = <T>(work: () => T): T => this.connection.write(work);

  // --- runs -------------------------------------------------------------------------------------

  /** False when `skipDuplicateKey` and the run's (origin name, run key) is already taken. */
  private insertRun(run: RunRecord, skipDuplicateKey = false): boolean {
    const sql = skipDuplicateKey
      ? `${INSERT_RUN} ON CONFLICT (origin_name, run_key) WHERE run_key IS NOT NULL DO NOTHING`
      : INSERT_RUN;
    if (this.statement(sql).run(run.runId, ...runColumns(run)).changes === 0) return false;
    this.setRunAssets(run.runId, run.assetKeys);
    return true;
  }

  /** run_assets indexes runs by asset for `listRuns({ assetKey })`. */
  private setRunAssets(runId: string, assetKeys: readonly string[]): void {
    this.statement("DELETE FROM run_assets WHERE run_id = ?").run(runId);
    const insert = this.statement("INSERT OR IGNORE INTO run_assets (run_id, asset_key) VALUES (?, ?)");
    for (const key of assetKeys) insert.run(runId, key);
  }

  async createRun(run: RunRecord): Promise<void> {
    this.write(() => this.insertRun(run));
  }

  /** A patch key set to undefined clears that optional field. */
  async updateRun(runId: string, patch: Partial<Omit<RunRecord, "runId">>): Promise<RunRecord> {
    return this.write(() => {
      const current = this.getRunSync(runId);
      if (!current) throw new StrataError("STRATA_ERR_UNKNOWN_RUN", `run ${quote(runId)} does not exist.`);
      // through JSON and back, so cleared fields are absent rather than undefined-valued
      const next = parseRun(JSON.stringify({ ...current, ...patch, runId }));
      this.statement(
        "UPDATE runs SET status = ?, record = ?, created_at = ?, ended_at = ?, backfill_id = ?, origin_name = ?, run_key = ? WHERE run_id = ?",
      ).run(...runColumns(next), runId);
      if (patch.assetKeys) this.setRunAssets(runId, next.assetKeys);
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

  /** Newest first (insertion order) unless `oldestFirst`; at most 1,000 unless `limit` says otherwise; [] does not filter. */
  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.run(() => {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (filter.statuses && filter.statuses.length > 0) {
        where.push(`status IN (SELECT value FROM json_each(?))`);
        params.push(JSON.stringify(filter.statuses));
      }
      if (filter.assetKey !== undefined) {
        where.push("run_id IN (SELECT run_id FROM run_assets WHERE asset_key = ?)");
        params.push(filter.assetKey);
      }
      if (filter.backfillId !== undefined) {
        where.push("backfill_id = ?");
        params.push(filter.backfillId);
      }
      if (filter.beforeRunId !== undefined) {
        where.push("rowid < (SELECT rowid FROM runs WHERE run_id = ?)");
        params.push(filter.beforeRunId);
      }
      const sql = `SELECT record FROM runs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY rowid ${filter.oldestFirst === true ? "ASC" : "DESC"} LIMIT ?`;
      const rows: unknown[] = this.statement(sql).all(...params, filter.limit ?? 1000);
      return rows.filter(isRow).map((row) => parseRun(row.record));
    });
  }

  /** One conditional UPDATE: of two launchers claiming the same run, exactly one sees a change. */
  async claimRun(runId: string, startedAt: number): Promise<boolean> {
    return this.run(
      () =>
        this.statement(`
          UPDATE runs SET status = 'started',
            record = json_set(record, '$.status', 'started', '$.startedAt', ?)
          WHERE run_id = ? AND status = 'queued'`).run(startedAt, runId).changes === 1,
    );
  }

  // --- events -----------------------------------------------------------------------------------

  /**
   * One short transaction per call, committed before the promise resolves. (Committing a whole
   * event-loop turn's events together measured several times cheaper, but would hold the write
   * lock through whatever synchronous asset code runs in that turn, failing other processes' writes.)
   */
  async appendEvent(event: EventInput): Promise<EventRecord> {
    return this.run(() => this.appendOne(event));
  }

  /** One transaction: all the events (and their derived rows) or none. */
  async appendEvents(events: readonly EventInput[]): Promise<EventRecord[]> {
    return this.run(() => this.appendMany(events));
  }

  /** Oldest first; no `types` (or an empty list) means every type. */
  async listEvents(runId: string, filter: EventFilter = {}): Promise<EventRecord[]> {
    return this.run(() => readRunEvents(this.connection, runId, filter));
  }

  /** Oldest first; an empty `types` list means every type. */
  async listEventsAfter(
    afterId: number,
    types: readonly EventType[],
    limit = 10_000,
  ): Promise<EventRecord[]> {
    return this.run(() => readEventsAfter(this.connection, afterId, types, limit));
  }

  async latestEventId(): Promise<number> {
    return this.run(() => {
      const row: unknown = this.statement("SELECT max(id) AS id FROM events").get();
      return isRow(row) && typeof row.id === "number" ? row.id : 0;
    });
  }

  // --- materialisations and checks --------------------------------------------------------------

  /** Newest first; `column = value` narrows when the value is given (two cached statements). */
  private newest(
    table: "materializations" | "check_results",
    assetKey: string,
    column: "partition" | "check_name",
    value: string | undefined,
    limit: number,
  ): unknown[] {
    const narrow = value === undefined ? "" : `AND ${column} = ?`;
    const sql = `SELECT * FROM ${table} WHERE asset_key = ? ${narrow} ORDER BY event_id DESC LIMIT ?`;
    return this.statement(sql).all(assetKey, ...(value === undefined ? [] : [value]), limit);
  }

  /** With no partition: the latest materialisation of any partition (or of the unpartitioned asset). */
  async latestMaterialization(
    assetKey: string,
    partition?: string,
  ): Promise<MaterializationRecord | undefined> {
    return this.run(
      () => this.newest("materializations", assetKey, "partition", partition, 1).map(parseMaterialization)[0],
    );
  }

  /** Newest first, at most 100 unless `limit` says otherwise. */
  async materializations(
    assetKey: string,
    options: { partition?: string; limit?: number } = {},
  ): Promise<MaterializationRecord[]> {
    return this.run(() =>
      this.newest("materializations", assetKey, "partition", options.partition, options.limit ?? 100).map(
        parseMaterialization,
      ),
    );
  }

  /** Newest first, at most 100 unless `limit` says otherwise. */
  async checkResults(
    assetKey: string,
    options: { checkName?: string; limit?: number } = {},
  ): Promise<CheckResultRecord[]> {
    return this.run(() =>
      this.newest("check_results", assetKey, "check_name", options.checkName, options.limit ?? 100).map(
        parseCheckResult,
      ),
    );
  }

  /** See `readPartitionStatuses`. */
  async partitionStatuses(assetKey: string): Promise<ReadonlyMap<string, PartitionStatus>> {
    return this.run(() => readPartitionStatuses(this.connection, assetKey));
  }

  // --- cursors, ticks, backfills ----------------------------------------------------------------

  async getCursor(name: string): Promise<string | undefined> {
    return this.run(() => {
      const row: unknown = this.statement("SELECT value FROM kv WHERE key = ?").get(name);
      return isRow(row) && typeof row.value === "string" ? row.value : undefined;
    });
  }

  async setCursor(name: string, cursor: string): Promise<void> {
    this.run(() => this.statement(UPSERT_KV).run(name, cursor));
  }

  private insertTick(tick: Omit<TickRecord, "id">): TickRecord {
    const info = this.statement("INSERT INTO ticks (kind, name, timestamp, record) VALUES (?, ?, ?, ?)").run(
      tick.kind,
      tick.name,
      tick.timestamp,
      JSON.stringify(tick),
    );
    return parseTick({ id: Number(info.lastInsertRowid), record: JSON.stringify(tick) });
  }

  /**
   * Runs whose (origin name, run key) is taken — by an earlier tick or earlier in this batch — are
   * dropped by the unique index, not by a prior read, so two daemons cannot both insert one key.
   * Any other failure rolls back everything: the cursor never moves without its runs.
   */
  async commitSensorTick(commit: SensorTickCommit): Promise<TickRecord> {
    return this.write(() => {
      const inserted = commit.runs.filter((run) => this.insertRun(run, true));
      if (commit.cursor !== undefined)
        this.statement(UPSERT_KV).run(`sensor:${commit.sensorName}`, commit.cursor);
      const allDropped = commit.runs.length > 0 && inserted.length === 0;
      const skipReason =
        commit.skipReason ?? (allDropped ? "every run key was already requested" : undefined);
      return this.insertTick({
        kind: "sensor",
        name: commit.sensorName,
        timestamp: commit.timestamp,
        status: allDropped && commit.status === "requested" ? "skipped" : commit.status,
        runIds: inserted.map((run) => run.runId),
        ...(commit.cursor !== undefined && { cursor: commit.cursor }),
        ...(skipReason !== undefined && { skipReason }),
        ...(commit.error !== undefined && { error: commit.error }),
      });
    });
  }

  async runKeysSeen(origin: string, runKeys: readonly string[]): Promise<ReadonlySet<string>> {
    return this.run(() => {
      const rows: unknown[] = this.statement(
        "SELECT run_key FROM runs WHERE origin_name = ? AND run_key IN (SELECT value FROM json_each(?))",
      ).all(origin, JSON.stringify(runKeys));
      return new Set(
        rows.flatMap((row) => (isRow(row) && typeof row.run_key === "string" ? [row.run_key] : [])),
      );
    });
  }

  async addTick(tick: Omit<TickRecord, "id">): Promise<TickRecord> {
    return this.run(() => this.insertTick(tick));
  }

  /** Newest first. */
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

  /** A patch key set to undefined clears that optional field. */
  async updateBackfill(
    backfillId: string,
    patch: Partial<Omit<BackfillRecord, "backfillId">>,
  ): Promise<BackfillRecord> {
    return this.write(() => {
      const row: unknown = this.statement("SELECT record FROM backfills WHERE backfill_id = ?").get(
        backfillId,
      );
      if (!isRow(row))
        throw new StrataError("STRATA_ERR_UNKNOWN_RUN", `backfill ${quote(backfillId)} does not exist.`);
      const next = parseBackfill(JSON.stringify({ ...parseBackfill(row.record), ...patch, backfillId }));
      this.statement("UPDATE backfills SET created_at = ?, record = ? WHERE backfill_id = ?").run(
        next.createdAt,
        JSON.stringify(next),
        backfillId,
      );
      return next;
    });
  }

  async getBackfill(backfillId: string): Promise<BackfillRecord | undefined> {
    return this.run(() => {
      const row: unknown = this.statement("SELECT record FROM backfills WHERE backfill_id = ?").get(
        backfillId,
      );
      return isRow(row) ? parseBackfill(row.record) : undefined;
    });
  }

  /** Newest first. */
  async listBackfills(limit = 50): Promise<BackfillRecord[]> {
    return this.run(() => {
      const rows: unknown[] = this.statement(
        "SELECT record FROM backfills ORDER BY created_at DESC, rowid DESC LIMIT ?",
      ).all(limit);
      return rows.filter(isRow).map((row) => parseBackfill(row.record));
    });
  }

  // --- retention --------------------------------------------------------------------------------

  /** See `pruneRuns`. */
  async prune(
    policy: RetentionPolicy,
    now: number,
  ): Promise<{ runs: number; events: number; ticks: number }> {
    return this.write(() => pruneRuns(this.connection, policy, now));
  }

  async close(): Promise<void> {
    this.connection.close();
  }
}
