import { setTimeout as sleep } from "node:timers/promises";
import { Kafka, logLevel } from "kafkajs";
import { quote, StrataError } from "../../engine/index.ts";
import type { KafkaConfig } from "../config/config.ts";
import { framedSocketFactory } from "./framed-socket.ts";
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

export interface KafkaClientOptions {
  /**
   * Fetch responses read into reused buffers (framed-socket.ts): fetched message keys and values
   * are valid only until `eachBatch` returns. For a consumer that copies what it keeps (Bronze).
   */
  readonly reuseFetchBuffers?: boolean;
}

export function kafkaClient(
  brokers: readonly string[],
  clientId = "strata",
  retry: { readonly retries: number } = { retries: 8 },
  options: KafkaClientOptions = {},
): Kafka {
  if (brokers.length === 0) throw new StrataError("STRATA_ERR_KAFKA_NOT_CONFIGURED", NO_BROKER);
  // Before any fetch: kafkajs loads its fetch decoders lazily, on the first one (record-decoder.ts).
  installRecordDecoder();
  return new Kafka({
    clientId,
    brokers: [...brokers],
    ...(options.reuseFetchBuffers === true ? { socketFactory: framedSocketFactory() } : {}),
    // kafkajs logs every retried connection at ERROR; Strata reports outages itself (health, lag).
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: retry.retries },
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
    const committed = await whileCoordinatorLoads(() =>
      admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] }),
    );
    const byPartition = new Map(
      (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)] as const),
    );
    const partitions = ends.map((end) => {
      const high = Number(end.high);
      const low = Number(end.low);
      const done = byPartition.get(end.partition) ?? -1;
      return { partition: end.partition, high, committed: done, lag: partitionLagOf(high, done, low) };
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

export interface KafkaProbe {
  readonly clusterId: string;
  /** The brokers the cluster advertises (what clients connect to after the bootstrap). */
  readonly brokers: readonly string[];
  readonly connectMs: number;
  readonly partitions: number;
  /** Records in the topic (sum of high − low watermarks). */
  readonly records: number;
  readonly group: {
    readonly state: string;
    readonly members: number;
    readonly lag: number;
    /** Partitions with a committed offset (0: the group never committed). */
    readonly committedPartitions: number;
  };
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `strata doctor --connectivity`: the configured brokers answer, the topic exists, and the consumer
 * group's lag. Each failure is a coded error whose fix names the setting to change.
 */
export async function probeKafka(config: KafkaConfig): Promise<KafkaProbe> {
  if (!kafkaConfigured(config)) throw new StrataError("STRATA_ERR_KAFKA_NOT_CONFIGURED", NO_BROKER);
  const bootstrap = config.brokers.join(",");
  // Connecting retries once (an unreachable broker is reported in seconds); requests retry a few
  // times, since a fresh cluster answers "coordinator not available" until its offsets topic is up.
  const admin = kafkaClient(config.brokers, "strata-doctor", { retries: 1 }).admin({
    retry: { retries: 6, initialRetryTime: 200, maxRetryTime: 1_000 },
  });
  const started = performance.now();
  try {
    let cluster: Awaited<ReturnType<typeof admin.describeCluster>>;
    try {
      await admin.connect();
      cluster = await admin.describeCluster();
    } catch (error) {
      throw new StrataError(
        "STRATA_ERR_KAFKA_UNREACHABLE",
        `no broker of STRATA_KAFKA_BROKERS=${quote(bootstrap)} answered: ${reason(error)}.`,
        { brokers: config.brokers },
        { cause: error },
      );
    }
    const connectMs = performance.now() - started;
    const advertised = cluster.brokers.map((b) => `${b.host}:${b.port}`);
    const metadata = await admin.listTopics();
    if (!metadata.includes(config.topic))
      throw new StrataError(
        "STRATA_ERR_KAFKA_TOPIC_MISSING",
        `topic STRATA_KAFKA_TOPIC=${quote(config.topic)} does not exist on the cluster at ${quote(bootstrap)} (it has ${metadata.filter((t) => !t.startsWith("__")).length} other topic(s)).`,
        { topic: config.topic },
      );
    let ends: Awaited<ReturnType<typeof admin.fetchTopicOffsets>>;
    try {
      ends = await admin.fetchTopicOffsets(config.topic);
    } catch (error) {
      // The bootstrap answered but the partition leaders did not: typically advertised.listeners
      // names an address this machine cannot reach.
      throw new StrataError(
        "STRATA_ERR_KAFKA_UNREACHABLE",
        `the bootstrap broker ${quote(bootstrap)} answered, but the brokers it advertises (${advertised.join(", ")}) did not: ${reason(error)}.`,
        { brokers: config.brokers, advertised },
        { cause: error },
      );
    }
    const committed = await whileCoordinatorLoads(() =>
      admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] }),
    );
    const byPartition = new Map(
      (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)] as const),
    );
    let lag = 0;
    let records = 0;
    let committedPartitions = 0;
    for (const end of ends) {
      const high = Number(end.high);
      const low = Number(end.low);
      const done = byPartition.get(end.partition) ?? -1;
      if (done >= 0) committedPartitions++;
      records += high - low;
      lag += partitionLagOf(high, done, low);
    }
    const described = await whileCoordinatorLoads(() => admin.describeGroups([config.groupId]));
    const group = described.groups.find((g) => g.groupId === config.groupId);
    return {
      clusterId: cluster.clusterId,
      brokers: advertised,
      connectMs,
      partitions: ends.length,
      records,
      group: {
        state: group?.state ?? "Unknown",
        members: group?.members.length ?? 0,
        lag,
        committedPartitions,
      },
    };
  } catch (error) {
    if (StrataError.is(error)) throw error;
    throw new StrataError(
      "STRATA_ERR_KAFKA",
      `a request to ${quote(bootstrap)} failed: ${reason(error)}.`,
      { brokers: config.brokers },
      { cause: error },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Broker states that pass by themselves: a fresh cluster's group coordinator is still loading. */
const COORDINATOR_STARTING = new Set([
  "GROUP_LOAD_IN_PROGRESS",
  "GROUP_COORDINATOR_NOT_AVAILABLE",
  "NOT_COORDINATOR_FOR_GROUP",
]);

/** Retries `request` for up to 15 s while the group coordinator is starting. */
async function whileCoordinatorLoads<T>(request: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      // kafkajs's protocol error types (its names, not the Java client's).
      const starting =
        error instanceof Error &&
        (error.name === "KafkaJSGroupCoordinatorNotFound" ||
          ("type" in error && typeof error.type === "string" && COORDINATOR_STARTING.has(error.type)));
      if (!starting || Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}

function partitionLagOf(high: number, committed: number, low: number): number {
  return Math.max(0, high - (committed < 0 ? low : committed));
}
