/**
 * Exactly-once bookkeeping. Kafka's committed group offset only says how far Bronze got; what Silver
 * holds is recorded in the Silver Delta table itself, as a `txn` action per topic-partition whose
 * version is the next offset to apply. The txn is committed atomically with the rows, so after any
 * crash the table alone tells which records are in: a replay from an older group offset applies only
 * the records at or after that version, and a write of a version the table already holds is a no-op.
 */

/** The Delta `txn` application id of one topic-partition. */
export function streamAppId(topic: string, partition: number): string {
  return `strata/kafka/${topic}/${partition}`;
}

/** A run of consecutive offsets [startOffset, startOffset + count) of one partition. */
export interface OffsetRange {
  readonly startOffset: number;
  readonly count: number;
}

/**
 * Which lines of a Bronze object (offsets `startOffset`, `startOffset + 1`, ...) are not yet in Silver
 * when the table's txn version for the partition is `applied` (undefined: nothing applied yet).
 * Returns the index of the first line to apply (`count` when none).
 */
export function firstPendingLine(range: OffsetRange, applied: number | undefined): number {
  if (applied === undefined || applied <= range.startOffset) return 0;
  return Math.min(range.count, applied - range.startOffset);
}

/** The txn version after applying a range: the next offset to read. */
export function nextOffset(range: OffsetRange): number {
  return range.startOffset + range.count;
}

/**
 * Where a consumer should resume a partition: the group's committed offset says Bronze is durable up
 * to there; Silver may be ahead of it (crash after the Delta commit, before the offset commit), in
 * which case re-reading is harmless but wasted, so the later of the two wins.
 */
export function resumeOffset(committed: number | undefined, applied: number | undefined): number | undefined {
  if (committed === undefined) return applied;
  if (applied === undefined) return committed;
  return Math.max(committed, applied);
}

/** Consumer lag of one partition: records past the committed offset (-1 = none committed yet). */
export function partitionLag(highWatermark: number, committed: number, lowWatermark = 0): number {
  const from = committed < 0 ? lowWatermark : committed;
  return Math.max(0, highWatermark - from);
}
