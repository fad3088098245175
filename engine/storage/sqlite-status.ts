import type { PartitionStatus, RunStatus } from "./records.ts";
import type { SqliteConnection } from "./sqlite-connection.ts";
import { isRow } from "./sqlite-rows.ts";

const ACTIVE: readonly (RunStatus | undefined)[] = ["queued", "started"];

/**
 * Partition status from what storage read: every partition with a materialisation starts as
 * "materialized"; then the step events after that partition's last materialisation, oldest first:
 * a STEP_FAILURE makes it "failed"; a STEP_STARTED in a run still queued/started makes it
 * "in_progress" until a later STEP_SUCCESS/STEP_SKIPPED/STEP_FAILURE ends that. A STEP_STARTED of a
 * run that finished without an outcome (crashed, cancelled) changes nothing.
 * Unpartitioned assets report under the key ""; partitions with no history are absent (missing).
 * Once retention pruned a run's events, its failure is forgotten but its materialisation is kept.
 * Only the step events after each partition's last materialisation are read.
 */
export function readPartitionStatuses(
  connection: SqliteConnection,
  assetKey: string,
): Map<string, PartitionStatus> {
  const materialized: unknown[] = connection
    .statement("SELECT DISTINCT partition FROM materializations WHERE asset_key = ?")
    .all(assetKey);
  const steps: unknown[] = connection
    .statement(`
      SELECT coalesce(e.partition, '') AS partition, e.type AS type, r.status AS run_status
      FROM events e LEFT JOIN runs r ON r.run_id = e.run_id
      WHERE e.asset_key = ?
        AND e.type IN ('STEP_STARTED', 'STEP_SUCCESS', 'STEP_FAILURE', 'STEP_SKIPPED')
        AND e.id > coalesce((SELECT max(m.event_id) FROM materializations m
                             WHERE m.asset_key = e.asset_key AND m.partition = coalesce(e.partition, '')), 0)
      ORDER BY e.id`)
    .all(assetKey);
  return foldPartitionStatuses(materialized, steps);
}

/** Exported for tests: folds the rows `readPartitionStatuses` reads. */
export function foldPartitionStatuses(
  materializedRows: readonly unknown[],
  stepRows: readonly unknown[],
): Map<string, PartitionStatus> {
  const settled = new Map<string, "materialized" | "failed">();
  const running = new Set<string>();
  for (const row of materializedRows)
    if (isRow(row) && typeof row.partition === "string") settled.set(row.partition, "materialized");
  for (const row of stepRows) {
    if (!isRow(row) || typeof row.partition !== "string") continue;
    const partition = row.partition;
    if (row.type === "STEP_STARTED") {
      if (ACTIVE.some((status) => status === row.run_status)) running.add(partition);
    } else {
      running.delete(partition);
      if (row.type === "STEP_FAILURE") settled.set(partition, "failed");
    }
  }
  const statuses = new Map<string, PartitionStatus>(settled);
  for (const partition of running) statuses.set(partition, "in_progress");
  return statuses;
}
