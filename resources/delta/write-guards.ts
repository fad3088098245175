/**
 * What the writer must check before touching an existing table: that it implements every writer
 * requirement the table declares (protocol (1,2), or (x,7) with only appendOnly/invariants), and
 * that the operation respects `delta.appendOnly`.
 */
import { quote, StrataError } from "../../engine/errors.ts";
import type { ProtocolAction } from "./actions.ts";

export const WRITER_PROTOCOL: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 2 };
const SUPPORTED_WRITER_FEATURES = new Set(["appendOnly", "invariants"]);

export function assertWritable(protocol: ProtocolAction, root: string): void {
  const problems: string[] = [];
  if (protocol.minReaderVersion === 2) problems.push("reader version 2 (column mapping)");
  if (protocol.minReaderVersion > 3) problems.push(`reader version ${protocol.minReaderVersion}`);
  const readerFeatures = protocol.readerFeatures ?? [];
  if (protocol.minReaderVersion === 3 && readerFeatures.length > 0)
    problems.push(`reader features ${quote(readerFeatures)}`);
  if (protocol.minWriterVersion === 7) {
    const unsupported = (protocol.writerFeatures ?? []).filter(
      (feature) => !SUPPORTED_WRITER_FEATURES.has(feature),
    );
    if (unsupported.length > 0) problems.push(`writer features ${quote(unsupported)}`);
  } else if (protocol.minWriterVersion > 2) {
    problems.push(`writer version ${protocol.minWriterVersion}`);
  }
  if (problems.length > 0) {
    throw new StrataError(
      "STRATA_ERR_DELTA_UNSUPPORTED_WRITER",
      `the Delta table at ${quote(root)} has protocol ${quote(protocol)}; Strata cannot write ${problems.join(" and ")}.`,
      { root, protocol },
    );
  }
}

export function isAppendOnly(configuration: Readonly<Record<string, string>>): boolean {
  return configuration["delta.appendOnly"]?.toLowerCase() === "true";
}

export function assertMayChangeData(
  configuration: Readonly<Record<string, string>>,
  root: string,
  operation: string,
): void {
  if (isAppendOnly(configuration)) {
    throw new StrataError(
      "STRATA_ERR_DELTA_APPEND_ONLY",
      `${operation} would remove or change rows of the append-only table ${quote(root)} (delta.appendOnly=true).`,
      { root, operation },
    );
  }
}

/** `delta.checkpointInterval`, default 10 (Spark's default). */
export function checkpointInterval(configuration: Readonly<Record<string, string>>): number {
  const raw = configuration["delta.checkpointInterval"];
  const value = raw === undefined ? 10 : Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new StrataError(
      "STRATA_ERR_DELTA_INVALID_WRITE",
      `delta.checkpointInterval must be a positive integer; got ${quote(raw)}.`,
      { value: raw },
    );
  }
  return value;
}
