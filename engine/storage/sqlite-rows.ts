import type { JsonValue } from "../definitions/metadata.ts";
import { isJsonValue, parseCheckData, parseMaterializationData } from "./event-data.ts";
import type {
  BackfillRecord,
  CheckResultRecord,
  EventRecord,
  EventType,
  LogLevel,
  MaterializationRecord,
  RunRecord,
  RunStatus,
  TickRecord,
} from "./records.ts";

/**
 * Parsing what SQLite returns (typed `unknown` by better-sqlite3) back into records, checking the
 * fields a reader relies on. A row that does not parse means the file was written by something else.
 */
type Row = Record<string, unknown>;

export function isRow(value: unknown): value is Row {
  return typeof value === "object" && value !== null;
}

/** Uncoded on purpose: the connection turns it into STRATA_ERR_STORAGE naming the file. */
function corrupt(what: string): Error {
  return new Error(`the file holds a malformed ${what} row (written by something other than Strata?)`);
}

function json(text: unknown, what: string): Row {
  if (typeof text !== "string") throw corrupt(what);
  const parsed: unknown = JSON.parse(text);
  if (!isRow(parsed)) throw corrupt(what);
  return parsed;
}

/** A JSON column (NULL → undefined), checked to be JSON data rather than trusted. */
export function parseJson(text: unknown, what: string): JsonValue | undefined {
  if (text === null || text === undefined) return undefined;
  if (typeof text !== "string") throw corrupt(what);
  const parsed: unknown = JSON.parse(text);
  if (!isJsonValue(parsed)) throw corrupt(what);
  return parsed;
}

/** The partition column of derived rows: "" stands for "unpartitioned" and reads back as absent. */
const partitionOf = (value: unknown): { partition?: string } =>
  typeof value === "string" && value !== "" ? { partition: value } : {};

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
const stringMap = (value: unknown): Record<string, string> =>
  isRow(value)
    ? Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"))
    : {};

const RUN_STATUSES: readonly RunStatus[] = ["queued", "started", "success", "failure", "canceled"];
const isRunStatus = (value: unknown): value is RunStatus => RUN_STATUSES.some((s) => s === value);

export function parseRun(text: unknown): RunRecord {
  const r = json(text, "run");
  if (
    typeof r.runId !== "string" ||
    !isRunStatus(r.status) ||
    typeof r.createdAt !== "number" ||
    typeof r.selection !== "string"
  ) {
    throw corrupt("run");
  }
  const origin = isRow(r.origin) && typeof r.origin.name === "string" ? r.origin : undefined;
  const originKind = origin?.kind;
  const kinds = ["sensor", "schedule", "automation", "manual", "backfill"] as const;
  const kind = kinds.find((k) => k === originKind);
  const range =
    isRow(r.partitionRange) &&
    typeof r.partitionRange.from === "string" &&
    typeof r.partitionRange.to === "string"
      ? { from: r.partitionRange.from, to: r.partitionRange.to }
      : undefined;
  return {
    runId: r.runId,
    status: r.status,
    assetKeys: strings(r.assetKeys),
    selection: r.selection,
    tags: stringMap(r.tags),
    createdAt: r.createdAt,
    ...(typeof r.partition === "string" && { partition: r.partition }),
    ...(range && { partitionRange: range }),
    ...(typeof r.backfillId === "string" && { backfillId: r.backfillId }),
    ...(kind && typeof origin?.name === "string" && { origin: { kind, name: origin.name } }),
    ...(typeof r.runKey === "string" && { runKey: r.runKey }),
    ...(typeof r.startedAt === "number" && { startedAt: r.startedAt }),
    ...(typeof r.endedAt === "number" && { endedAt: r.endedAt }),
    ...(typeof r.error === "string" && { error: r.error }),
    ...(typeof r.cancelRequestedAt === "number" && { cancelRequestedAt: r.cancelRequestedAt }),
    ...(typeof r.startEventMark === "number" && { startEventMark: r.startEventMark }),
  };
}

const EVENT_TYPES: readonly EventType[] = [
  "RUN_QUEUED",
  "RUN_STARTED",
  "RUN_SUCCESS",
  "RUN_FAILURE",
  "RUN_CANCELED",
  "STEP_STARTED",
  "STEP_SUCCESS",
  "STEP_FAILURE",
  "STEP_SKIPPED",
  "STEP_RETRY",
  "ASSET_MATERIALIZATION",
  "ASSET_OBSERVATION",
  "CHECK_EVALUATION",
  "LOG",
];
const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

export function parseEvent(row: unknown): EventRecord {
  if (
    !isRow(row) ||
    typeof row.id !== "number" ||
    typeof row.run_id !== "string" ||
    typeof row.message !== "string" ||
    typeof row.timestamp !== "number"
  ) {
    throw corrupt("event");
  }
  const type = EVENT_TYPES.find((t) => t === row.type);
  if (!type) throw corrupt("event type");
  const level = LEVELS.find((l) => l === row.level);
  const data = parseJson(row.data, "event data");
  return {
    id: row.id,
    runId: row.run_id,
    type,
    message: row.message,
    timestamp: row.timestamp,
    ...(typeof row.asset_key === "string" && { assetKey: row.asset_key }),
    ...(typeof row.partition === "string" && { partition: row.partition }),
    ...(level && { level }),
    ...(data !== undefined && { data }),
  };
}

export function parseTick(row: unknown): TickRecord {
  if (!isRow(row) || typeof row.id !== "number") throw corrupt("tick");
  const r = json(row.record, "tick");
  const kind = r.kind === "sensor" || r.kind === "schedule" ? r.kind : undefined;
  const status =
    r.status === "requested" || r.status === "skipped" || r.status === "failed" ? r.status : undefined;
  if (!kind || !status || typeof r.name !== "string" || typeof r.timestamp !== "number")
    throw corrupt("tick");
  return {
    id: row.id,
    kind,
    name: r.name,
    timestamp: r.timestamp,
    status,
    runIds: strings(r.runIds),
    ...(typeof r.skipReason === "string" && { skipReason: r.skipReason }),
    ...(typeof r.error === "string" && { error: r.error }),
    ...(typeof r.cursor === "string" && { cursor: r.cursor }),
  };
}

export function parseBackfill(text: unknown): BackfillRecord {
  const r = json(text, "backfill");
  const statuses = ["requested", "completed", "failed", "canceled"] as const;
  const status = statuses.find((s) => s === r.status);
  if (
    typeof r.backfillId !== "string" ||
    !status ||
    typeof r.selection !== "string" ||
    typeof r.createdAt !== "number"
  ) {
    throw corrupt("backfill");
  }
  return {
    backfillId: r.backfillId,
    status,
    selection: r.selection,
    assetKeys: strings(r.assetKeys),
    partitions: strings(r.partitions),
    completed: strings(r.completed),
    failed: strings(r.failed),
    createdAt: r.createdAt,
    ...(typeof r.endedAt === "number" && { endedAt: r.endedAt }),
  };
}

export function parseMaterialization(row: unknown): MaterializationRecord {
  if (
    !isRow(row) ||
    typeof row.event_id !== "number" ||
    typeof row.asset_key !== "string" ||
    typeof row.run_id !== "string" ||
    typeof row.timestamp !== "number"
  ) {
    throw corrupt("materialisation");
  }
  const data = parseMaterializationData(parseJson(row.data, "materialisation"));
  if (!data) throw corrupt("materialisation");
  return {
    eventId: row.event_id,
    assetKey: row.asset_key,
    runId: row.run_id,
    timestamp: row.timestamp,
    metadata: data.metadata,
    ...partitionOf(row.partition),
    ...(data.codeVersion !== undefined && { codeVersion: data.codeVersion }),
    ...(data.dataVersion !== undefined && { dataVersion: data.dataVersion }),
  };
}

export function parseCheckResult(row: unknown): CheckResultRecord {
  if (
    !isRow(row) ||
    typeof row.event_id !== "number" ||
    typeof row.asset_key !== "string" ||
    typeof row.run_id !== "string" ||
    typeof row.timestamp !== "number"
  ) {
    throw corrupt("check result");
  }
  const check = parseCheckData(parseJson(row.data, "check result"));
  if (!check) throw corrupt("check result");
  return {
    eventId: row.event_id,
    assetKey: row.asset_key,
    runId: row.run_id,
    timestamp: row.timestamp,
    ...check,
    ...partitionOf(row.partition),
  };
}
