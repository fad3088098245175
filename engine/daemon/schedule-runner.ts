import { cronTicksBetween } from "../definitions/cron.ts";
import type { ScheduleDefinition } from "../definitions/instigators.ts";
import { asError } from "../errors.ts";
import type { Clock } from "../execution/clock.ts";
import type { Materializer } from "../execution/materializer.ts";
import { selectAssets } from "../graph/selection.ts";
import type { TickRecord } from "../storage/records.ts";
import type { RunStorage } from "../storage/run-storage.ts";
import { isRunning } from "./instigator-state.ts";

const evaluatedKey = (name: string): string => `schedule:${name}:evaluated_until`;

/**
 * Runs every cron tick of a schedule that passed since the last evaluation (catching up ticks
 * missed while the daemon was down, within a bound). A partitioned target runs the partition that
 * had just closed at the tick. The run key is the tick time, so a tick never runs twice.
 */
export async function tickSchedule(
  schedule: ScheduleDefinition,
  deps: { storage: RunStorage; materializer: Materializer; clock: Clock },
): Promise<TickRecord[]> {
  const { storage, materializer, clock } = deps;
  if (!(await isRunning(storage, "schedule", schedule.name, schedule.defaultRunning))) return [];
  const now = clock.now();
  const stored = await storage.getCursor(evaluatedKey(schedule.name));
  if (stored === undefined) {
    // First sight: start from now rather than replaying history.
    await storage.setCursor(evaluatedKey(schedule.name), String(now));
    return [];
  }
  const ticks: TickRecord[] = [];
  const graph = materializer.definitions.graph;
  for (const tick of cronTicksBetween(schedule.cron, schedule.timezone, Number(stored), now)) {
    const runKey = `${schedule.name}@${new Date(tick).toISOString()}`;
    try {
      if ((await storage.runKeysSeen(schedule.name, [runKey])).has(runKey)) continue;
      const partitions = selectAssets(graph, schedule.target)
        .map((key) => graph.definition(key).spec.partitions)
        .find((p) => p !== undefined);
      const partition =
        partitions && schedule.targetClosedPartition ? partitions.lastClosed(tick) : undefined;
      if (partitions && partition === undefined) {
        ticks.push(
          await storage.addTick({
            kind: "schedule",
            name: schedule.name,
            timestamp: tick,
            status: "skipped",
            runIds: [],
            skipReason: "no partition has closed yet",
          }),
        );
        continue;
      }
      const run = await materializer.submit({
        selection: schedule.target,
        origin: { kind: "schedule", name: schedule.name },
        runKey,
        tags: {
          ...schedule.tags,
          "strata/schedule": schedule.name,
          "strata/tick": new Date(tick).toISOString(),
        },
        ...(partition !== undefined && { partition }),
      });
      ticks.push(
        await storage.addTick({
          kind: "schedule",
          name: schedule.name,
          timestamp: tick,
          status: "requested",
          runIds: [run.runId],
        }),
      );
    } catch (error) {
      ticks.push(
        await storage.addTick({
          kind: "schedule",
          name: schedule.name,
          timestamp: tick,
          status: "failed",
          runIds: [],
          error: asError(error).message,
        }),
      );
    }
  }
  await storage.setCursor(evaluatedKey(schedule.name), String(now));
  return ticks;
}
