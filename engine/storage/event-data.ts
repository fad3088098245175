import type { JsonValue, MetadataMap, MetadataValue } from "../definitions/metadata.ts";
import type { CheckSeverity } from "./records.ts";

/** The `data` of an ASSET_MATERIALIZATION event. */
export interface MaterializationEventData {
  readonly metadata: MetadataMap;
  readonly dataVersion?: string;
  readonly codeVersion?: string;
}

/** The `data` of a CHECK_EVALUATION event. */
export interface CheckEvaluationEventData {
  readonly checkName: string;
  readonly passed: boolean;
  readonly severity: CheckSeverity;
  readonly blocking: boolean;
  readonly description?: string;
  readonly metadata: MetadataMap;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const METADATA_TYPES = new Set(["int", "float", "text", "json", "path", "duration_ms", "table_schema"]);

function isMetadataValue(value: unknown): value is MetadataValue {
  return (
    isObject(value) && typeof value.type === "string" && METADATA_TYPES.has(value.type) && "value" in value
  );
}

export function parseMetadata(value: unknown): MetadataMap {
  if (!isObject(value)) return {};
  const out: Record<string, MetadataValue> = {};
  for (const [name, entry] of Object.entries(value)) if (isMetadataValue(entry)) out[name] = entry;
  return out;
}

export function parseMaterializationData(data: JsonValue | undefined): MaterializationEventData {
  const object = isObject(data) ? data : {};
  return {
    metadata: parseMetadata(object.metadata),
    ...(typeof object.dataVersion === "string" && { dataVersion: object.dataVersion }),
    ...(typeof object.codeVersion === "string" && { codeVersion: object.codeVersion }),
  };
}

export function parseCheckData(data: JsonValue | undefined): CheckEvaluationEventData | undefined {
  if (!isObject(data) || typeof data.checkName !== "string" || typeof data.passed !== "boolean")
    return undefined;
  return {
    checkName: data.checkName,
    passed: data.passed,
    severity: data.severity === "warn" ? "warn" : "error",
    blocking: data.blocking === true,
    metadata: parseMetadata(data.metadata),
    ...(typeof data.description === "string" && { description: data.description }),
  };
}
