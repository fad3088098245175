import { dailyPartitions, type PartitionsDefinition } from "../../engine/index.ts";

/**
 * Bronze and Silver are partitioned by ingestion date (UTC): a partition holds the objects that
 * landed that day. Today's partition exists (it fills as files land), so sensors can target it.
 */
export function ingestionDays(start: string): PartitionsDefinition {
  return dailyPartitions({ start, timezone: "UTC", includeOpenDay: true });
}

export function dayOf(instant: number): string {
  return new Date(instant).toISOString().slice(0, 10);
}
