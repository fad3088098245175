/**
 * Per-file statistics from the log (PROTOCOL.md "Per-file Statistics"). `add.stats` is a JSON
 * string; checkpoints may instead carry the `stats_parsed` struct, which the checkpoint reader folds
 * into the same string. Stats are optional and advisory: a missing or malformed one yields
 * undefined rather than failing the read (other writers' stats are not ours to reject).
 */
import type { AddAction, FileStats } from "./actions.ts";
import { isRecord } from "./log-actions.ts";

export function parseFileStats(add: Pick<AddAction, "stats">): FileStats | undefined {
  if (typeof add.stats !== "string" || add.stats === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(add.stats);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || typeof parsed.numRecords !== "number") return undefined;
  return {
    numRecords: parsed.numRecords,
    ...(isRecord(parsed.minValues) ? { minValues: parsed.minValues } : {}),
    ...(isRecord(parsed.maxValues) ? { maxValues: parsed.maxValues } : {}),
    ...(isRecord(parsed.nullCount) ? { nullCount: parsed.nullCount } : {}),
    ...(typeof parsed.tightBounds === "boolean" ? { tightBounds: parsed.tightBounds } : {}),
  };
}

/** Row count of a snapshot answered from stats alone; undefined when some file has no numRecords. */
export function countFromStats(files: readonly Pick<AddAction, "stats">[]): number | undefined {
  let total = 0;
  for (const file of files) {
    const stats = parseFileStats(file);
    if (stats === undefined) return undefined;
    total += stats.numRecords;
  }
  return total;
}
