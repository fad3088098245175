/**
 * `strata doctor --connectivity` against a real Kafka broker (infra/local/kafka.sh): reachability,
 * the topic, the consumer group's lag, and coded errors for a wrong broker address or topic.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { CliIO } from "../../engine/index.ts";
import { kafkaClient } from "../../resources/kafka/kafka.ts";
import { produceEvents } from "../streaming/produce.ts";
import { KAFKA_START_TIMEOUT_MS, type KafkaBroker, startKafka } from "../streaming/testing/kafka-broker.ts";
import { doctor } from "./doctor.ts";

let broker: KafkaBroker;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "strata-doctor-kafka-"));
  broker = await startKafka();
}, KAFKA_START_TIMEOUT_MS);

afterAll(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(env: Record<string, string>): Promise<{ code: number; report: string; ms: number }> {
  const lines: string[] = [];
  const io: CliIO = { out: (line) => lines.push(line), err: (line) => lines.push(line), isTTY: false };
  const started = performance.now();
  const code = await doctor(
    { STRATA_CONFIG: "/nonexistent.json", STRATA_LAKE: join(dir, "lake"), ...env },
    dir,
    { connectivity: true },
    io,
  );
  return { code, report: lines.join("\n"), ms: performance.now() - started };
}

describe("strata doctor --connectivity with Kafka", () => {
  test("a missing topic is a coded error naming STRATA_KAFKA_TOPIC", async () => {
    const { code, report } = await run({
      STRATA_KAFKA_BROKERS: broker.brokers,
      STRATA_KAFKA_TOPIC: "no_such_topic",
    });
    expect(code).toBe(1);
    expect(report).toContain("ERROR kafka: STRATA_ERR_KAFKA_TOPIC_MISSING");
    expect(report).toContain('STRATA_KAFKA_TOPIC="no_such_topic"');
    expect(report).toContain("Fix: Set STRATA_KAFKA_TOPIC");
    // The lake was still tested.
    expect(report).toMatch(/ok {4}connectivity: .*lake round trip/);
  }, 60_000);

  test("reachable broker, topic, and the group's lag before and after it commits", async () => {
    const topic = "doctor_events";
    const group = "doctor-group";
    await produceEvents({ brokers: [broker.brokers], topic, count: 300, seed: 3 });
    const env = {
      STRATA_KAFKA_BROKERS: broker.brokers,
      STRATA_KAFKA_TOPIC: topic,
      STRATA_KAFKA_GROUP_ID: group,
    };

    const fresh = await run(env);
    expect(fresh.report).not.toContain("ERROR");
    expect(fresh.code).toBe(0);
    expect(fresh.report).toMatch(
      new RegExp(
        `ok {4}kafka: ${broker.brokers} reachable in \\d+ ms \\(cluster .+, broker\\(s\\) 127\\.0\\.0\\.1:\\d+\\)`,
      ),
    );
    expect(fresh.report).toContain(`ok    kafka topic: ${topic}: 3 partition(s), 300 record(s)`);
    expect(fresh.report).toContain(
      `warn  kafka group: group ${group} has no committed offsets on ${topic} yet`,
    );
    expect(fresh.report).toContain("(300 record(s))");

    // The group commits all but 20 records of partition 0.
    const admin = kafkaClient([broker.brokers]).admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: ends.map((e) => ({
        partition: e.partition,
        offset: String(e.partition === 0 ? Number(e.high) - 20 : Number(e.high)),
      })),
    });
    await admin.disconnect();
    const behind = await run(env);
    expect(behind.report).not.toContain("ERROR");
    expect(behind.code).toBe(0);
    expect(behind.report).toContain(
      `ok    kafka group: group ${group}: lag 20 record(s) (state Empty, 0 member(s))`,
    );
  }, 120_000);

  test("nothing listening at STRATA_KAFKA_BROKERS: a coded error, in seconds", async () => {
    // A port that accepts nothing: bind it, then close it.
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const { code, report, ms } = await run({ STRATA_KAFKA_BROKERS: `127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(report).toContain("ERROR kafka: STRATA_ERR_KAFKA_UNREACHABLE");
    expect(report).toContain(`STRATA_KAFKA_BROKERS="127.0.0.1:${port}"`);
    expect(report).toContain("Fix: Set STRATA_KAFKA_BROKERS to host:port");
    expect(ms).toBeLessThan(20_000);
  }, 60_000);
});
