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
  RunStatus,
  TickRecord,
} from "./records.ts";

export interface RunFilter {
  readonly statuses?: readonly RunStatus[];
  readonly assetKey?: string;
  readonly backfillId?: string;
  readonly limit?: number;
  /** Runs created before this run (paging, newest first). */
  readonly beforeRunId?: string;
  /** Oldest first instead (a launch queue). */
  readonly oldestFirst?: boolean;
}

export interface EventFilter {
  readonly afterId?: number;
  readonly types?: readonly EventType[];
  readonly limit?: number;
}

/** A sensor tick committed atomically with the runs it requests and the cursor it advances to. */
export interface SensorTickCommit {
  readonly sensorName: string;
  readonly timestamp: number;
  /** Runs to create, already deduplicated by the caller against `runKeysSeen`. */
  readonly runs: readonly RunRecord[];
  readonly cursor?: string;
  readonly status: TickRecord["status"];
  readonly skipReason?: string;
  readonly error?: string;
}

/**
 * The run storage port: runs, the event log, materialisations, check results, partition status,
 * sensor cursors and ticks, schedule ticks and backfills. SQLite implements it for one machine;
 * a PostgreSQL implementation can serve several (everything is async for that reason).
 * Events, materialisations and check results are written together: `appendEvent` derives the
 * materialisation/check rows from ASSET_MATERIALIZATION / CHECK_EVALUATION events in one transaction.
 */
export interface RunStorage {
  // runs
  createRun(run: RunRecord): Promise<void>;
  updateRun(runId: string, patch: Partial<Omit<RunRecord, "runId">>): Promise<RunRecord>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** Atomically move a queued run to started; false when another launcher took it. */
  claimRun(runId: string, startedAt: number): Promise<boolean>;

  // event log
  appendEvent(event: EventInput): Promise<EventRecord>;
  appendEvents(events: readonly EventInput[]): Promise<EventRecord[]>;
  listEvents(runId: string, filter?: EventFilter): Promise<EventRecord[]>;
  /** Events of every run after an id: the daemon's automation reads materialisations this way. */
  listEventsAfter(afterId: number, types: readonly EventType[], limit?: number): Promise<EventRecord[]>;
  latestEventId(): Promise<number>;

  // materialisations and checks
  latestMaterialization(assetKey: string, partition?: string): Promise<MaterializationRecord | undefined>;
  materializations(
    assetKey: string,
    options?: { partition?: string; limit?: number },
  ): Promise<MaterializationRecord[]>;
  checkResults(
    assetKey: string,
    options?: { checkName?: string; limit?: number },
  ): Promise<CheckResultRecord[]>;
  partitionStatuses(assetKey: string): Promise<ReadonlyMap<string, PartitionStatus>>;

  // key/value state for instigators (sensor cursors, daemon bookmarks, on/off switches)
  getCursor(name: string): Promise<string | undefined>;
  setCursor(name: string, cursor: string): Promise<void>;

  // ticks
  commitSensorTick(commit: SensorTickCommit): Promise<TickRecord>;
  /** Run keys already used by a sensor/schedule (dedup across restarts). */
  runKeysSeen(origin: string, runKeys: readonly string[]): Promise<ReadonlySet<string>>;
  addTick(tick: Omit<TickRecord, "id">): Promise<TickRecord>;
  listTicks(kind: TickRecord["kind"], name: string, limit?: number): Promise<TickRecord[]>;

  // backfills
  createBackfill(backfill: BackfillRecord): Promise<void>;
  updateBackfill(
    backfillId: string,
    patch: Partial<Omit<BackfillRecord, "backfillId">>,
  ): Promise<BackfillRecord>;
  getBackfill(backfillId: string): Promise<BackfillRecord | undefined>;
  listBackfills(limit?: number): Promise<BackfillRecord[]>;

  // retention
  prune(policy: RetentionPolicy, now: number): Promise<{ runs: number; events: number; ticks: number }>;
  close(): Promise<void>;
}
