import {
  type AssetContext,
  defineSchedule,
  defineSensor,
  type InlineCheck,
  inject,
  multiAsset,
  type SensorDefinition,
} from "../../engine/index.ts";
import type { StrataConfig } from "../../resources/config/config.ts";
import type { DeltaTables } from "../../resources/delta/delta-tables.ts";
import { kafkaConfigured, kafkaHealth, NO_BROKER } from "../../resources/kafka/kafka.ts";
import type { ObjectStore } from "../../resources/object-store/object-store.ts";
import { CONFIG, DELTA_TABLES, LAKE } from "../../resources/tokens.ts";
import { type MicroBatchResult, runMicroBatch } from "./micro-batch.ts";

export const BRONZE_EVENTS_ASSET = "bronze/sales_events";
export const SILVER_EVENTS_ASSET = "silver/sales_events";

type StreamValue = { "bronze/sales_events": MicroBatchResult; "silver/sales_events": MicroBatchResult };

function isMicroBatch(value: unknown): value is MicroBatchResult {
  return typeof value === "object" && value !== null && "health" in value && "rowsRead" in value;
}

/** A check sees the checked output's value (or, depending on the caller, the whole step's value). */
function batchOf(value: unknown): MicroBatchResult | undefined {
  if (isMicroBatch(value)) return value;
  if (typeof value !== "object" || value === null || !("bronze/sales_events" in value)) return undefined;
  const batch: unknown = value["bronze/sales_events"];
  return isMicroBatch(batch) ? batch : undefined;
}

/** Kafka health as a check: broker reachable and the lag left after the micro-batch (warn only). */
const kafkaHealthCheck: InlineCheck = {
  name: "kafka_health",
  severity: "warn",
  description: "Kafka broker reachable; consumer lag on the topic",
  evaluate: (_ctx, value) => {
    const batch = batchOf(value);
    if (batch === undefined) return { passed: false, description: "the step returned no Kafka health" };
    if (batch.skipped === NO_BROKER) return { passed: true, description: NO_BROKER };
    const { reachable, lag, error } = batch.health;
    return {
      passed: reachable,
      description: reachable
        ? `broker reachable; lag ${lag} before this batch`
        : (error ?? "broker unreachable"),
      metadata: { reachable, lag_before: lag, records: batch.records },
    };
  },
};

/** §3.10 for the stream: rows read = inserted + updated + unchanged + quarantined. */
const streamReconciliation: InlineCheck = {
  name: "stream_reconciliation",
  severity: "error",
  blocking: true,
  description: "rows read from Bronze JSONL = inserted + updated + unchanged + quarantined",
  evaluate: (_ctx, value) => {
    const b = batchOf(value);
    if (b === undefined) return { passed: false, description: "the step returned no counts" };
    const accounted = b.inserted + b.updated + b.unchanged + b.quarantined;
    return {
      passed: accounted === b.rowsRead,
      description: `${b.rowsRead} read = ${b.inserted} inserted + ${b.updated} updated + ${b.unchanged} unchanged + ${b.quarantined} quarantined`,
      metadata: { rows_read: b.rowsRead, accounted },
    };
  },
};

/**
 * Kafka micro-batch: `bronze/sales_events` (JSONL objects per topic-partition and start offset) and
 * `silver/sales_events` (those events merged into the `silver/sales` Delta table, exactly once via the
 * per-partition txn). Requested by the lag sensor; Gold is not downstream, it refreshes on its own
 * schedule rather than on every micro-batch. Without a broker it reports "no broker configured".
 */
@multiAsset({
  outs: {
    "bronze/sales_events": {
      description: "Kafka sales_events as JSONL objects <topic>+<partition>+<startOffset>",
    },
    "silver/sales_events": {
      description: "Kafka events merged into the silver/sales Delta table (exactly once)",
    },
  },
  group: "streaming",
  owners: ["data-platform"],
  codeVersion: "1",
  tags: { source: "kafka" },
  checks: [kafkaHealthCheck, streamReconciliation],
})
export class SalesEventsStream {
  constructor(
    @inject(CONFIG) private readonly config: StrataConfig,
    @inject(LAKE) private readonly lake: ObjectStore,
    @inject(DELTA_TABLES) private readonly tables: DeltaTables,
  ) {}

  async materialize(ctx: AssetContext): Promise<StreamValue> {
    const batch = await runMicroBatch(this.config, this.lake, this.tables, {
      runId: ctx.runId,
      signal: ctx.signal,
    });
    if (batch.skipped !== undefined) ctx.log.info(`Kafka: ${batch.skipped}`);
    ctx.addMetadata(
      {
        records: batch.records,
        objects: batch.objects.length,
        lag_before: batch.health.lag,
        reachable: batch.health.reachable,
      },
      BRONZE_EVENTS_ASSET,
    );
    ctx.addMetadata(
      {
        rows_read: batch.rowsRead,
        inserted: batch.inserted,
        updated: batch.updated,
        unchanged: batch.unchanged,
        quarantined: batch.quarantined,
        already_applied: batch.alreadyApplied,
        delta_version: batch.deltaVersion,
      },
      SILVER_EVENTS_ASSET,
    );
    return { "bronze/sales_events": batch, "silver/sales_events": batch };
  }
}

/**
 * Consumer lag → a micro-batch run. The run key is the topic's high watermarks, so one state of the
 * topic is requested once even across daemon restarts; no broker or no lag → a skip with the reason.
 */
export function kafkaSensor(config: StrataConfig): SensorDefinition {
  return defineSensor({
    name: "kafka_sales_events",
    target: `${BRONZE_EVENTS_ASSET},${SILVER_EVENTS_ASSET}`,
    intervalSeconds: config.kafka.sensorIntervalSeconds,
    description: "Consumer lag on the sales_events topic → Bronze/Silver micro-batch",
    evaluate: async () => {
      if (!kafkaConfigured(config.kafka)) return { runRequests: [], skipReason: NO_BROKER };
      const health = await kafkaHealth(config.kafka);
      if (!health.reachable) return { runRequests: [], skipReason: health.error ?? "broker unreachable" };
      if (health.lag === 0) return { runRequests: [], skipReason: "no consumer lag" };
      const marks = health.partitions.map((p) => `${p.partition}:${p.high}`).join(",");
      return {
        runRequests: [
          {
            runKey: `kafka:${config.kafka.topic}@${marks}`,
            tags: { "strata/kafka-lag": String(health.lag) },
          },
        ],
        cursor: marks,
      };
    },
  });
}

/** PIPELINE §6: Gold refreshes every 15 minutes, not on every micro-batch. */
export const goldRefresh = defineSchedule({
  name: "gold_refresh",
  cron: "*/15 * * * *",
  timezone: "UTC",
  target: "layer:gold",
  description: "Gold models and tests over the current Silver (streaming rows included)",
});
