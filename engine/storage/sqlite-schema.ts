/**
 * The SQLite schema of run storage, as ordered migrations: a database is brought forward one
 * version at a time and never backward (a newer file than this code refuses to open). Never edit a
 * released migration: append a new one. Runs, ticks and backfills are stored as their JSON record;
 * the other run/tick columns are copies of record fields, kept for indexing and constraints.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    record TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ended_at INTEGER,
    backfill_id TEXT,
    origin_name TEXT,
    run_key TEXT
  );
  CREATE INDEX runs_by_status ON runs (status, created_at);
  CREATE INDEX runs_by_created ON runs (created_at);
  CREATE UNIQUE INDEX runs_by_key ON runs (origin_name, run_key) WHERE run_key IS NOT NULL;
  CREATE TABLE run_assets (run_id TEXT NOT NULL, asset_key TEXT NOT NULL, PRIMARY KEY (asset_key, run_id));
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    type TEXT NOT NULL,
    asset_key TEXT,
    partition TEXT,
    level TEXT,
    message TEXT NOT NULL,
    data TEXT,
    timestamp INTEGER NOT NULL
  );
  CREATE INDEX events_by_run ON events (run_id, id);
  CREATE INDEX events_by_type ON events (type, id);
  CREATE INDEX events_by_asset ON events (asset_key, partition, type, id);
  CREATE TABLE materializations (
    event_id INTEGER PRIMARY KEY,
    asset_key TEXT NOT NULL,
    partition TEXT NOT NULL,
    run_id TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX materializations_by_asset ON materializations (asset_key, partition, event_id);
  CREATE TABLE check_results (
    event_id INTEGER PRIMARY KEY,
    asset_key TEXT NOT NULL,
    check_name TEXT NOT NULL,
    partition TEXT NOT NULL,
    run_id TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX check_results_by_asset ON check_results (asset_key, check_name, event_id);
  CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE ticks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    record TEXT NOT NULL
  );
  CREATE INDEX ticks_by_name ON ticks (kind, name, id);
  CREATE TABLE backfills (backfill_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, record TEXT NOT NULL);
  `,
  // 2: every index is written on each event commit, so events keep only the two reads need:
  // by run (logs), and a partial one for partition status (step events only; keep its WHERE
  // identical to the query's, or SQLite will not use it). listEventsAfter scans ids from a
  // recent bookmark, which needs no index. Retention finds old runs by end time.
  `
  DROP INDEX events_by_type;
  DROP INDEX events_by_asset;
  CREATE INDEX events_by_asset_step ON events (asset_key, partition, id)
    WHERE type IN ('STEP_STARTED', 'STEP_SUCCESS', 'STEP_FAILURE', 'STEP_SKIPPED');
  CREATE INDEX runs_by_ended ON runs (ended_at) WHERE ended_at IS NOT NULL;
  `,
];
