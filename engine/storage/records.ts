import type { JsonValue, MetadataMap } from "../definitions/metadata.ts";

/** Records kept by run storage. Plain data: every field survives a JSON round-trip. */

export type RunStatus = "queued" | "started" | "success" | "failure" | "canceled";

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ["success", "failure", "canceled"];

export interface PartitionRange {
  readonly from: string;
  readonly to: string;
}

/** A run tag: queued runs with a higher integer value launch first (default 0). */
export const RUN_PRIORITY_TAG = "strata/priority";

export interface RunRecord {
  readonly runId: string;
  readonly status: RunStatus;
  /** Asset keys the run materialises, in plan order. */
  readonly assetKeys: readonly string[];
  /** The selection text the run was launched with, for display and re-execution. */
  readonly selection: string;
  readonly partition?: string;
  readonly partitionRange?: PartitionRange;
  readonly tags: Readonly<Record<string, string>>;
  readonly backfillId?: string;
  /** The sensor/schedule that requested it and its run key (deduplication). */
  readonly origin?: {
    readonly kind: "sensor" | "schedule" | "automation" | "manual" | "backfill";
    readonly name: string;
  };
  readonly runKey?: string;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly error?: string;
  /**
   * When another process asked to cancel this run while it executed elsewhere: the executing
   * process watches for it and aborts (a signal cannot cross processes).
   */
  readonly cancelRequestedAt?: number;
  /**
   * The newest event id in the log just before the run started: every change recorded up to it
   * was there for the run to read. Automation compares upstream changes with it, not with the
   * run's own (later) materialisation event, which a run that started earlier can also produce.
   */
  readonly startEventMark?: number;
}

export type EventType =
  | "RUN_QUEUED"
  | "RUN_STARTED"
  | "RUN_SUCCESS"
  | "RUN_FAILURE"
  | "RUN_CANCELED"
  | "STEP_STARTED"
  | "STEP_SUCCESS"
  | "STEP_FAILURE"
  | "STEP_SKIPPED"
  | "STEP_RETRY"
  | "ASSET_MATERIALIZATION"
  | "ASSET_OBSERVATION"
  | "CHECK_EVALUATION"
  | "LOG";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface EventInput {
  readonly runId: string;
  readonly type: EventType;
  readonly timestamp: number;
  readonly assetKey?: string;
  readonly partition?: string;
  readonly level?: LogLevel;
  readonly message: string;
  readonly data?: JsonValue;
}

export interface EventRecord extends EventInput {
  /** Monotonic id: events are ordered by it, and consumers page with "after id". */
  readonly id: number;
}

export interface MaterializationRecord {
  readonly eventId: number;
  readonly assetKey: string;
  readonly partition?: string;
  readonly runId: string;
  readonly timestamp: number;
  readonly metadata: MetadataMap;
  readonly codeVersion?: string;
  /** Identifies the produced data: changes whenever the asset's value changes. */
  readonly dataVersion?: string;
}

export type CheckSeverity = "warn" | "error";

export interface CheckResultRecord {
  readonly eventId: number;
  readonly assetKey: string;
  readonly checkName: string;
  readonly partition?: string;
  readonly runId: string;
  readonly timestamp: number;
  readonly passed: boolean;
  readonly severity: CheckSeverity;
  readonly blocking: boolean;
  readonly description?: string;
  readonly metadata: MetadataMap;
}

export type PartitionStatus = "materialized" | "failed" | "in_progress" | "missing";

export type TickStatus = "requested" | "skipped" | "failed";

export interface TickRecord {
  readonly id: number;
  readonly kind: "sensor" | "schedule";
  readonly name: string;
  readonly timestamp: number;
  readonly status: TickStatus;
  readonly runIds: readonly string[];
  readonly skipReason?: string;
  readonly error?: string;
  readonly cursor?: string;
}

export type BackfillStatus = "requested" | "completed" | "failed" | "canceled";

export interface BackfillRecord {
  readonly backfillId: string;
  readonly status: BackfillStatus;
  readonly selection: string;
  readonly assetKeys: readonly string[];
  /** Every partition the backfill covers, in order. */
  readonly partitions: readonly string[];
  /** Partitions whose run succeeded; a resumed backfill skips them. */
  readonly completed: readonly string[];
  readonly failed: readonly string[];
  readonly createdAt: number;
  readonly endedAt?: number;
}

export interface RetentionPolicy {
  /** Runs (with their events) that ended more than this many days ago are pruned. */
  readonly runDays: number;
  /** Ticks older than this many days are pruned, keeping the newest tick of each instigator. */
  readonly tickDays: number;
}
