import { Kafka, logLevel } from "kafkajs";
import { quote, StrataError } from "../../engine/index.ts";
import type { KafkaConfig } from "../config/config.ts";
import { installRecordDecoder } from "./record-decoder.ts";

/**
 * kafkajs clients from the configuration. Kafka is optional: every entry point checks
 * `kafkaConfigured` first and reports "no broker configured" instead of failing, so the batch
 * pipeline never needs a broker.
 */
export const NO_BROKER = "no broker configured (set STRATA_KAFKA_BROKERS to enable Kafka ingestion)";

export function kafkaConfigured(config: KafkaConfig): boolean {
  return config.brokers.length > 0;
}

export function kafkaClient(brokers: readonly string[], clientId = "strata"): Kafka {
  if (brokers.length === 0) throw new StrataError("STRATA_ERR_KAFKA_NOT_CONFIGURED", NO_BROKER);
  // Before any fetch: kafkajs loads its fetch decoders lazily, on the first one (record-decoder.ts).
  installRecordDecoder();
  return new Kafka({
    clientId,
    brokers: [...brokers],
    // kafkajs logs every retried connection at ERROR; Strata reports outages itself (health, lag).
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 8 },
  });
}

/** Creates the topic when missing (idempotent); waits for its leaders. */
export async function ensureTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic))
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export interface PartitionLag {
  readonly partition: number;
  /** Next offset the broker will assign. */
  readonly high: number;
  /** The group's committed offset (-1 = none yet). */
  readonly committed: number;
  readonly lag: number;
}

export interface KafkaHealth {
  readonly reachable: boolean;
  readonly lag: number;
  readonly partitions: readonly PartitionLag[];
  readonly error?: string;
}

/** Broker reachability and the consumer group's lag on the topic, never throwing. */
export async function kafkaHealth(config: KafkaConfig): Promise<KafkaHealth> {
  if (!kafkaConfigured(config)) return { reachable: false, lag: 0, partitions: [], error: NO_BROKER };
  const admin = kafkaClient(config.brokers, "strata-health").admin({ retry: { retries: 1 } });
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(config.topic)) return { reachable: true, lag: 0, partitions: [] };
    const ends = await admin.fetchTopicOffsets(config.topic);
    const committed = await admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] });
    const byPartition = new Map(
      (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)] as const),
    );
    const partitions = ends.map((end) => {
      const high = Number(end.high);
      const low = Number(end.low);
      const done = byPartition.get(end.partition) ?? -1;
      return {
        partition: end.partition,
        high,
        committed: done,
        lag: Math.max(0, high - (done < 0 ? low : done)),
      };
    });
    return { reachable: true, lag: partitions.reduce((n, p) => n + p.lag, 0), partitions };
  } catch (error) {
    return {
      reachable: false,
      lag: 0,
      partitions: [],
      error: `broker ${quote(config.brokers.join(","))} unreachable: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
