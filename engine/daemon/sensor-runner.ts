import type { SensorDefinition } from "../definitions/instigators.ts";
import { asError } from "../errors.ts";
import type { Clock } from "../execution/clock.ts";
import type { Materializer } from "../execution/materializer.ts";
import type { RunRecord, TickRecord } from "../storage/records.ts";
import type { RunStorage } from "../storage/run-storage.ts";
import { isRunning } from "./instigator-state.ts";

const lastTickKey = (name: string): string => `sensor:${name}:last_tick`;

/**
 * Evaluates a sensor when its interval has passed. The runs it requests, its new cursor and the
 * tick are committed in one transaction, so a cursor never advances without its runs; run keys
 * already used are dropped, so a sensor never runs the same key twice (even across restarts).
 */
export async function tickSensor(
  sensor: SensorDefinition,
  deps: { storage: RunStorage; materializer: Materializer; clock: Clock; signal: AbortSignal },
): Promise<TickRecord | undefined> {
  const { storage, materializer, clock } = deps;
  if (!(await isRunning(storage, "sensor", sensor.name, sensor.defaultRunning))) return undefined;
  const now = clock.now();
  const last = await storage.getCursor(lastTickKey(sensor.name));
  const lastTickAt = last === undefined ? undefined : Number(last);
  if (lastTickAt !== undefined && now - lastTickAt < sensor.intervalSeconds * 1000) return undefined;
  await storage.setCursor(lastTickKey(sensor.name), String(now));
  const cursor = await storage.getCursor(`sensor:${sensor.name}`);
  const origin = { kind: "sensor" as const, name: sensor.name };
  try {
    const log = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const result = await sensor.evaluate(
      { sensorName: sensor.name, cursor, lastTickAt, log, signal: deps.signal, now: () => clock.now() },
      materializer.definitions.scope.resolve,
    );
    const keys = result.runRequests.flatMap((request) =>
      request.runKey === undefined ? [] : [request.runKey],
    );
    const seen = await storage.runKeysSeen(sensor.name, keys);
    const batch = new Set<string>();
    const runs: RunRecord[] = [];
    for (const request of result.runRequests) {
      if (request.runKey !== undefined && (seen.has(request.runKey) || batch.has(request.runKey))) continue;
      if (request.runKey !== undefined) batch.add(request.runKey);
      runs.push(
        materializer.prepare({
          selection: request.selection ?? sensor.target,
          origin,
          tags: { ...request.tags, "strata/sensor": sensor.name },
          ...(request.partition !== undefined && { partition: request.partition }),
          ...(request.runKey !== undefined && { runKey: request.runKey }),
        }),
      );
    }
    const skipReason =
      runs.length > 0
        ? undefined
        : (result.skipReason ??
          (result.runRequests.length > 0 ? "every run key was already requested" : "no run requested"));
    return await storage.commitSensorTick({
      sensorName: sensor.name,
      timestamp: now,
      runs,
      status: runs.length > 0 ? "requested" : "skipped",
      ...(result.cursor !== undefined && { cursor: result.cursor }),
      ...(skipReason !== undefined && { skipReason }),
    });
  } catch (error) {
    return storage.addTick({
      kind: "sensor",
      name: sensor.name,
      timestamp: now,
      status: "failed",
      runIds: [],
      error: asError(error).message,
    });
  }
}
