import { quote, StrataError } from "../errors.ts";
import { parseCheckData, parseMaterializationData } from "./event-data.ts";
import type { EventInput, EventRecord, EventType } from "./records.ts";
import type { EventFilter } from "./run-storage.ts";
import type { SqliteConnection } from "./sqlite-connection.ts";
import { parseEvent } from "./sqlite-rows.ts";

/** The event log: appending (with derived materialisation/check rows) and reading in id order. */

/** Partition "" stands for "unpartitioned" in the materialisation and check tables. */
const partitionColumn = (partition: string | undefined): string => partition ?? "";

const INSERT_EVENT =
  "INSERT INTO events (run_id, type, asset_key, partition, level, message, data, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
const INSERT_MATERIALIZATION =
  "INSERT INTO materializations (event_id, asset_key, partition, run_id, timestamp, data) VALUES (?, ?, ?, ?, ?, ?)";
const INSERT_CHECK =
  "INSERT INTO check_results (event_id, asset_key, check_name, partition, run_id, timestamp, data) VALUES (?, ?, ?, ?, ?, ?, ?)";

/**
 * Appends one event and the materialisation/check row it implies. Call inside a transaction: the
 * event and its derived row are written together or not at all. The derived row holds the parsed
 * event data (see event-data.ts), so readers of those tables never see a malformed shape.
 */
export function appendEventRow(connection: SqliteConnection, event: EventInput): EventRecord {
  // validate first: a malformed event is refused before anything is written
  const derived = derivedRow(connection, event);
  const info = connection
    .statement(INSERT_EVENT)
    .run(
      event.runId,
      event.type,
      event.assetKey ?? null,
      event.partition ?? null,
      event.level ?? null,
      event.message,
      event.data === undefined ? null : JSON.stringify(event.data),
      event.timestamp,
    );
  const id = Number(info.lastInsertRowid);
  derived?.(id);
  return {
    id,
    runId: event.runId,
    type: event.type,
    message: event.message,
    timestamp: event.timestamp,
    ...(event.assetKey !== undefined && { assetKey: event.assetKey }),
    ...(event.partition !== undefined && { partition: event.partition }),
    ...(event.level !== undefined && { level: event.level }),
    ...(event.data !== undefined && { data: event.data }),
  };
}

/** The derived row's writer, given the event id; undefined for event types without one. */
function derivedRow(
  connection: SqliteConnection,
  event: EventInput,
): ((eventId: number) => void) | undefined {
  if (event.type !== "ASSET_MATERIALIZATION" && event.type !== "CHECK_EVALUATION") return undefined;
  const malformed = (why: string) =>
    new StrataError(
      "STRATA_ERR_STORAGE",
      `run storage ${quote(connection.path)} refused a ${event.type} event of run ${quote(event.runId)}: ${why}.`,
      { path: connection.path, runId: event.runId },
    );
  const assetKey = event.assetKey;
  if (assetKey === undefined) throw malformed("it has no asset key");
  const partition = partitionColumn(event.partition);
  if (event.type === "ASSET_MATERIALIZATION") {
    const data = parseMaterializationData(event.data);
    if (!data) throw malformed(`its data ${quote(event.data)} is not an object`);
    const text = JSON.stringify(data);
    return (id) =>
      connection
        .statement(INSERT_MATERIALIZATION)
        .run(id, assetKey, partition, event.runId, event.timestamp, text);
  }
  const check = parseCheckData(event.data);
  if (!check) throw malformed(`its data ${quote(event.data)} lacks checkName, passed, severity or blocking`);
  const text = JSON.stringify(check);
  return (id) =>
    connection
      .statement(INSERT_CHECK)
      .run(id, assetKey, check.checkName, partition, event.runId, event.timestamp, text);
}

const typeFilter = (types: readonly EventType[]): string =>
  types.length === 0 ? "" : `AND type IN (${types.map(() => "?").join(",")})`;

export function readRunEvents(
  connection: SqliteConnection,
  runId: string,
  filter: EventFilter,
): EventRecord[] {
  const types = filter.types ?? [];
  const rows: unknown[] = connection
    .statement(`SELECT * FROM events WHERE run_id = ? AND id > ? ${typeFilter(types)} ORDER BY id LIMIT ?`)
    .all(runId, filter.afterId ?? 0, ...types, filter.limit ?? 100_000);
  return rows.map(parseEvent);
}

const DERIVED_TABLES: Partial<Record<EventType, string>> = {
  ASSET_MATERIALIZATION: "materializations",
  CHECK_EVALUATION: "check_results",
};

export function readEventsAfter(
  connection: SqliteConnection,
  afterId: number,
  types: readonly EventType[],
  limit: number,
): EventRecord[] {
  // the daemon polls for one derived type: that table's rowid is the event id, so this stays a
  // range scan however many other events follow the bookmark (events has no index on type)
  const only = types.length === 1 ? types[0] : undefined;
  const derived = only === undefined ? undefined : DERIVED_TABLES[only];
  const rows: unknown[] = derived
    ? connection
        .statement(
          `SELECT e.* FROM ${derived} d JOIN events e ON e.id = d.event_id WHERE d.event_id > ? ORDER BY d.event_id LIMIT ?`,
        )
        .all(afterId, limit)
    : connection
        .statement(`SELECT * FROM events WHERE id > ? ${typeFilter(types)} ORDER BY id LIMIT ?`)
        .all(afterId, ...types, limit);
  return rows.map(parseEvent);
}
