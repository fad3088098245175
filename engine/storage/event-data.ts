import type { JsonValue, MetadataMap, MetadataValue, TableColumn } from "../definitions/metadata.ts";
import type { CheckSeverity } from "./records.ts";

/**
 * The contract between the materializer and run storage: the `data` of the two event types from
 * which storage derives its materialisation and check-result rows. The guards are strict (for
 * producers and tests); the parsers are what storage applies when it writes and reads the rows.
 */

// type aliases, not interfaces: they must be assignable to an event's `data: JsonValue`

/** The `data` of an ASSET_MATERIALIZATION event (may be omitted: no metadata, no versions). */
export type MaterializationEventData = {
  readonly metadata: MetadataMap;
  readonly dataVersion?: string;
  readonly codeVersion?: string;
};

/** The `data` of a CHECK_EVALUATION event. */
export type CheckEvaluationEventData = {
  readonly checkName: string;
  readonly passed: boolean;
  readonly severity: CheckSeverity;
  readonly blocking: boolean;
  readonly description?: string;
  readonly metadata: MetadataMap;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const optionalString = (value: unknown): boolean => value === undefined || typeof value === "string";

function isTableColumn(value: unknown): value is TableColumn {
  return (
    isObject(value) &&
    typeof value.name === "string" &&
    typeof value.type === "string" &&
    (value.nullable === undefined || typeof value.nullable === "boolean") &&
    optionalString(value.description)
  );
}

export function isJsonValue(value: unknown): value is JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  return isObject(value) && Object.values(value).every(isJsonValue);
}

/** A tagged metadata value whose `value` has the type its tag promises. */
export function isMetadataValue(value: unknown): value is MetadataValue {
  if (!isObject(value)) return false;
  switch (value.type) {
    // an int that is not whole is still kept: dropping a user's metadata is worse than the mislabel
    case "int":
    case "float":
    case "duration_ms":
      return typeof value.value === "number" && Number.isFinite(value.value);
    case "text":
    case "path":
      return typeof value.value === "string";
    case "json":
      return isJsonValue(value.value);
    case "table_schema":
      return Array.isArray(value.value) && value.value.every(isTableColumn);
    default:
      return false;
  }
}

function isMetadataMap(value: unknown): value is MetadataMap {
  return isObject(value) && Object.values(value).every(isMetadataValue);
}

export function isMaterializationEventData(value: unknown): value is MaterializationEventData {
  return (
    isObject(value) &&
    isMetadataMap(value.metadata) &&
    optionalString(value.dataVersion) &&
    optionalString(value.codeVersion)
  );
}

export function isCheckEvaluationEventData(value: unknown): value is CheckEvaluationEventData {
  return (
    isObject(value) &&
    typeof value.checkName === "string" &&
    typeof value.passed === "boolean" &&
    (value.severity === "warn" || value.severity === "error") &&
    typeof value.blocking === "boolean" &&
    optionalString(value.description) &&
    isMetadataMap(value.metadata)
  );
}

/** Keeps the well-formed entries: one bad metadata value must not lose a materialisation. */
export function parseMetadata(value: unknown): MetadataMap {
  if (!isObject(value)) return {};
  const out: Record<string, MetadataValue> = {};
  for (const [name, entry] of Object.entries(value)) if (isMetadataValue(entry)) out[name] = entry;
  return out;
}

/** Undefined when `data` is present but not an object (the event is then malformed). */
export function parseMaterializationData(data: unknown): MaterializationEventData | undefined {
  if (data === undefined) return { metadata: {} };
  if (!isObject(data)) return undefined;
  return {
    metadata: parseMetadata(data.metadata),
    ...(typeof data.dataVersion === "string" && { dataVersion: data.dataVersion }),
    ...(typeof data.codeVersion === "string" && { codeVersion: data.codeVersion }),
  };
}

/** Undefined when a field a reader of check results relies on is missing or mistyped. */
export function parseCheckData(data: unknown): CheckEvaluationEventData | undefined {
  if (
    !isObject(data) ||
    typeof data.checkName !== "string" ||
    typeof data.passed !== "boolean" ||
    (data.severity !== "warn" && data.severity !== "error") ||
    typeof data.blocking !== "boolean"
  )
    return undefined;
  return {
    checkName: data.checkName,
    passed: data.passed,
    severity: data.severity,
    blocking: data.blocking,
    metadata: parseMetadata(data.metadata),
    ...(typeof data.description === "string" && { description: data.description }),
  };
}
