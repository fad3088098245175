import { setTimeout as sleep } from "node:timers/promises";
import type { StrataConfig } from "../../resources/config/config.ts";
import type { DeltaTables } from "../../resources/delta/delta-tables.ts";
import { type KafkaHealth, kafkaConfigured, kafkaHealth, NO_BROKER } from "../../resources/kafka/kafka.ts";
import type { ObjectStore } from "../../resources/object-store/object-store.ts";
import { KafkaIngestor } from "./ingestor.ts";

export interface MicroBatchResult {
  /** Why nothing was consumed (no broker configured, unreachable, no lag), if so. */
  readonly skipped?: string;
  readonly health: KafkaHealth;
  readonly records: number;
  readonly objects: readonly string[];
  readonly rowsRead: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly quarantined: number;
  readonly alreadyApplied: number;
  readonly deltaVersion: number;
}

const empty = (health: KafkaHealth, skipped: string): MicroBatchResult => ({
  skipped,
  health,
  records: 0,
  objects: [],
  rowsRead: 0,
  inserted: 0,
  updated: 0,
  unchanged: 0,
  quarantined: 0,
  alreadyApplied: 0,
  deltaVersion: -1,
});

/**
 * One micro-batch for the engine (the Kafka sensor's run): consume what the topic held when the run
 * started (its high watermarks), through the same Bronze → Silver → commit path as `strata stream`,
 * then leave the group. Bounded by `timeoutMs`; what is left stays as lag for the next run.
 */
export async function runMicroBatch(
  config: StrataConfig,
  lake: ObjectStore,
  tables: DeltaTables,
  options: { readonly runId: string; readonly timeoutMs?: number; readonly signal?: AbortSignal },
): Promise<MicroBatchResult> {
  const health = await kafkaHealth(config.kafka);
  if (!kafkaConfigured(config.kafka)) return empty(health, NO_BROKER);
  if (!health.reachable) return empty(health, health.error ?? "broker unreachable");
  if (health.lag === 0) return empty(health, "no consumer lag");
  const target = new Map(health.partitions.map((p) => [p.partition, p.high] as const));
  const reached = new Map<number, number>();
  const totals = {
    records: 0,
    rowsRead: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    quarantined: 0,
    alreadyApplied: 0,
  };
  const objects: string[] = [];
  let deltaVersion = -1;
  const ingestor = new KafkaIngestor({
    kafka: config.kafka,
    lake,
    tables,
    silver: config.silver,
    runId: options.runId,
    onFlush: (report) => {
      totals.records += report.records;
      for (const key of [
        "rowsRead",
        "inserted",
        "updated",
        "unchanged",
        "quarantined",
        "alreadyApplied",
      ] as const)
        totals[key] += report.silver[key];
      deltaVersion = Math.max(deltaVersion, report.silver.deltaVersion);
      for (const o of report.objects) {
        objects.push(o.key);
        reached.set(o.partition, Math.max(reached.get(o.partition) ?? 0, o.startOffset + o.count));
      }
    },
  });
  const done = (): boolean =>
    [...target].every(([partition, high]) => {
      const committed = health.partitions.find((p) => p.partition === partition)?.committed ?? -1;
      return high <= Math.max(committed, reached.get(partition) ?? 0);
    });
  await ingestor.start();
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  try {
    while (!done() && Date.now() < deadline && options.signal?.aborted !== true) await sleep(25);
  } finally {
    await ingestor.stop();
  }
  return { health, ...totals, objects, deltaVersion };
}
