/**
 * Validation of Delta log actions read from commit JSON lines or checkpoint rows. The log is
 * untrusted input: every field is checked with a type guard, unknown fields and unknown action
 * types are ignored (PROTOCOL.md: clients must ignore unrecognised fields and actions), and a
 * malformed known action is a STRATA_ERR_DELTA_CORRUPT_LOG naming the file it came from.
 */
import { quote, StrataError } from "../../engine/errors.ts";
import type {
  AddAction,
  CommitInfoAction,
  DeletionVectorDescriptor,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  TxnAction,
} from "./actions.ts";

export type LogAction =
  | { readonly kind: "protocol"; readonly protocol: ProtocolAction }
  | { readonly kind: "metaData"; readonly metaData: MetadataAction }
  | { readonly kind: "add"; readonly add: AddAction }
  | { readonly kind: "remove"; readonly remove: RemoveAction }
  | { readonly kind: "txn"; readonly txn: TxnAction }
  | { readonly kind: "commitInfo"; readonly commitInfo: CommitInfoAction };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function corrupt(source: string, message: string, value: unknown): StrataError {
  return new StrataError("STRATA_ERR_DELTA_CORRUPT_LOG", `${source}: ${message}: ${quote(value)}.`, {
    source,
  });
}

function optionalNumber(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) if (typeof entry === "string") out[key] = entry;
  return out;
}

/** partitionValues: string values, null (or a missing key) for a null partition value. */
function partitionMap(value: unknown): Record<string, string | null> {
  if (!isRecord(value)) return {};
  const out: Record<string, string | null> = {};
  for (const [key, entry] of Object.entries(value)) out[key] = typeof entry === "string" ? entry : null;
  return out;
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((entry): entry is string => typeof entry === "string");
}

function deletionVector(value: unknown): DeletionVectorDescriptor | null {
  if (!isRecord(value) || typeof value.storageType !== "string" || typeof value.pathOrInlineDv !== "string") {
    return null;
  }
  const offset = optionalNumber(value.offset);
  return {
    storageType: value.storageType,
    pathOrInlineDv: value.pathOrInlineDv,
    ...(offset === null ? {} : { offset }),
    sizeInBytes: optionalNumber(value.sizeInBytes) ?? 0,
    cardinality: optionalNumber(value.cardinality) ?? 0,
  };
}

function parseProtocol(value: Record<string, unknown>, source: string): ProtocolAction {
  const { minReaderVersion, minWriterVersion } = value;
  if (typeof minReaderVersion !== "number" || typeof minWriterVersion !== "number") {
    throw corrupt(source, "protocol action without numeric minReaderVersion/minWriterVersion", value);
  }
  const readerFeatures = stringList(value.readerFeatures);
  const writerFeatures = stringList(value.writerFeatures);
  return {
    minReaderVersion,
    minWriterVersion,
    ...(readerFeatures === undefined ? {} : { readerFeatures }),
    ...(writerFeatures === undefined ? {} : { writerFeatures }),
  };
}

function parseMetadata(value: Record<string, unknown>, source: string): MetadataAction {
  const { id, schemaString } = value;
  if (typeof id !== "string") throw corrupt(source, "metaData action without an id", value);
  if (typeof schemaString !== "string")
    throw corrupt(source, "metaData action without a schemaString", value);
  const format = isRecord(value.format) ? value.format : {};
  return {
    id,
    name: typeof value.name === "string" ? value.name : null,
    description: typeof value.description === "string" ? value.description : null,
    format: {
      provider: typeof format.provider === "string" ? format.provider : "parquet",
      options: stringMap(format.options),
    },
    schemaString,
    partitionColumns: stringList(value.partitionColumns) ?? [],
    configuration: stringMap(value.configuration),
    createdTime: optionalNumber(value.createdTime),
  };
}

/** Checkpoints may carry stats only as the `stats_parsed` struct; keep one representation (JSON). */
function statsString(value: Record<string, unknown>): string | null {
  if (typeof value.stats === "string") return value.stats;
  if (isRecord(value.stats_parsed)) return JSON.stringify(value.stats_parsed);
  return null;
}

function parseAdd(value: Record<string, unknown>, source: string): AddAction {
  if (typeof value.path !== "string") throw corrupt(source, "add action without a path", value);
  const dv = deletionVector(value.deletionVector);
  return {
    path: value.path,
    partitionValues: partitionMap(value.partitionValues),
    size: optionalNumber(value.size) ?? 0,
    modificationTime: optionalNumber(value.modificationTime) ?? 0,
    dataChange: value.dataChange !== false,
    stats: statsString(value),
    tags: isRecord(value.tags) ? stringMap(value.tags) : null,
    ...(dv === null ? {} : { deletionVector: dv }),
  };
}

function parseRemove(value: Record<string, unknown>, source: string): RemoveAction {
  if (typeof value.path !== "string") throw corrupt(source, "remove action without a path", value);
  const dv = deletionVector(value.deletionVector);
  return {
    path: value.path,
    deletionTimestamp: optionalNumber(value.deletionTimestamp),
    dataChange: value.dataChange !== false,
    ...(typeof value.extendedFileMetadata === "boolean"
      ? { extendedFileMetadata: value.extendedFileMetadata }
      : {}),
    partitionValues: isRecord(value.partitionValues) ? partitionMap(value.partitionValues) : null,
    size: optionalNumber(value.size),
    ...(dv === null ? {} : { deletionVector: dv }),
  };
}

function parseTxn(value: Record<string, unknown>, source: string): TxnAction {
  if (typeof value.appId !== "string" || typeof value.version !== "number") {
    throw corrupt(source, "txn action without appId/version", value);
  }
  // JSON.parse rounds integers beyond 2^53; an idempotency check on a rounded version could skip or
  // repeat a batch, so such a txn is refused rather than trusted.
  if (!Number.isSafeInteger(value.version))
    throw corrupt(source, "txn version beyond 2^53 (not exact in JS)", value);
  return { appId: value.appId, version: value.version, lastUpdated: optionalNumber(value.lastUpdated) };
}

/**
 * One action from a parsed JSON object (a commit line or a checkpoint row). Checkpoint rows have
 * every action column with nulls in all but one, so null columns are skipped rather than rejected.
 */
export function parseAction(line: unknown, source: string): LogAction | undefined {
  if (!isRecord(line)) throw corrupt(source, "a log line is not a JSON object", line);
  if (isRecord(line.add)) return { kind: "add", add: parseAdd(line.add, source) };
  if (isRecord(line.remove)) return { kind: "remove", remove: parseRemove(line.remove, source) };
  if (isRecord(line.metaData)) return { kind: "metaData", metaData: parseMetadata(line.metaData, source) };
  if (isRecord(line.protocol)) return { kind: "protocol", protocol: parseProtocol(line.protocol, source) };
  if (isRecord(line.txn)) return { kind: "txn", txn: parseTxn(line.txn, source) };
  if (isRecord(line.commitInfo)) return { kind: "commitInfo", commitInfo: line.commitInfo };
  return undefined; // cdc, domainMetadata, checkpointMetadata, unknown future actions: not needed to read
}

/** All actions of a commit file (newline-delimited JSON; blank lines are allowed). */
export function parseCommitFile(bytes: Uint8Array, source: string): LogAction[] {
  const text = new TextDecoder().decode(bytes);
  const actions: LogAction[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw corrupt(`${source} line ${index + 1}`, "not valid JSON", line);
    }
    const action = parseAction(parsed, `${source} line ${index + 1}`);
    if (action !== undefined) actions.push(action);
  }
  return actions;
}

/** The identity of a logical file: (decoded path, deletion vector unique id); see decodeLogPath. */
export function decodedFileKey(decodedPath: string, dv: DeletionVectorDescriptor | null | undefined): string {
  const dvId = dv
    ? `${dv.storageType}${dv.pathOrInlineDv}${dv.offset === undefined ? "" : `@${dv.offset}`}`
    : "";
  return `${decodedPath}\u0000${dvId}`;
}
