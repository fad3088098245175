import type { RetentionPolicy } from "./records.ts";
import type { SqliteConnection } from "./sqlite-connection.ts";

const DAY = 86_400_000;
const OLD_RUNS = "SELECT run_id FROM runs WHERE ended_at < ?";

/**
 * Retention, inside the caller's write transaction. Deletes runs that ended before now − runDays
 * with their events and check results, but keeps each asset's latest materialisation per partition
 * (the catalog's status must survive the run that produced it). Runs not ended are never pruned.
 * Ticks older than now − tickDays go too, except each instigator's newest (the UI shows when a
 * sensor last ticked). Counts are rows deleted.
 */
export function pruneRuns(
  connection: SqliteConnection,
  policy: RetentionPolicy,
  now: number,
): { runs: number; events: number; ticks: number } {
  const horizon = now - policy.runDays * DAY;
  const deleteOld = (sql: string): number => connection.statement(sql).run(horizon).changes;
  deleteOld(`
    DELETE FROM materializations WHERE run_id IN (${OLD_RUNS}) AND event_id NOT IN (
      SELECT max(event_id) FROM materializations GROUP BY asset_key, partition)`);
  deleteOld(`DELETE FROM check_results WHERE run_id IN (${OLD_RUNS})`);
  const events = deleteOld(`DELETE FROM events WHERE run_id IN (${OLD_RUNS})`);
  deleteOld(`DELETE FROM run_assets WHERE run_id IN (${OLD_RUNS})`);
  const runs = deleteOld("DELETE FROM runs WHERE ended_at < ?");
  const ticks = connection
    .statement(
      "DELETE FROM ticks WHERE timestamp < ? AND id NOT IN (SELECT max(id) FROM ticks GROUP BY kind, name)",
    )
    .run(now - policy.tickDays * DAY).changes;
  return { runs, events, ticks };
}
