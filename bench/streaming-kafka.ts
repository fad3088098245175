/**
 * Kafka streaming benchmark (issue 5), against a real broker started by infra/local/kafka.sh:
 *  - event → visible in Silver (Delta commit) p50/p95 at 1,000 events/s (goal p95 ≤ 2 s);
 *  - events/s ingested (Kafka → Bronze JSONL → Silver merge, one process) vs JSON.parse of the same
 *    events in the same run (goal ≥ 1.0), end to end and without the broker.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { generateSalesEvents } from "../assets/streaming/events.ts";
import { type FlushReport, KafkaIngestor } from "../assets/streaming/ingestor.ts";
import { encodeJsonLines } from "../assets/streaming/jsonl.ts";
import { bronzeEventKey } from "../assets/streaming/naming.ts";
import { produceEvents } from "../assets/streaming/produce.ts";
import { applyEventObjects } from "../assets/streaming/stream-silver.ts";
import { startKafka } from "../assets/streaming/testing/kafka-broker.ts";
import { loadConfig } from "../resources/config/config.ts";
import { LakeDeltaTables } from "../resources/delta/delta-tables.ts";
import { LocalObjectStore } from "../resources/object-store/local-object-store.ts";

const RATE = 1_000;
const LATENCY_EVENTS = 15_000;
const THROUGHPUT_EVENTS = 50_000;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN;
}

const TIMESTAMP = /"event_timestamp":"([^"]+)"/g;

function setup(brokers: string, topic: string) {
  const dir = mkdtempSync(join(tmpdir(), "strata-bench-kafka-"));
  const config = loadConfig(
    {
      STRATA_HOME: join(dir, ".strata"),
      STRATA_KAFKA_BROKERS: brokers,
      STRATA_KAFKA_TOPIC: topic,
      STRATA_KAFKA_GROUP_ID: `bench-${topic}`,
    },
    dir,
  );
  const lake = new LocalObjectStore(join(dir, "lake"));
  return { dir, config, lake, tables: new LakeDeltaTables(lake) };
}

async function latency(brokers: string): Promise<void> {
  const { dir, config, lake, tables } = setup(brokers, "bench_latency");
  const latencies: number[] = [];
  const onFlush = (report: FlushReport): void => {
    for (const o of report.objects) {
      const text = o.bytes === undefined ? "" : Buffer.from(o.bytes).toString("utf8");
      for (const m of text.matchAll(TIMESTAMP)) latencies.push(report.visibleAtMs - Date.parse(m[1] ?? ""));
    }
  };
  // One partition: one Delta commit pair per micro-batch (a partition per consumer core is the usual sizing).
  await produceEvents({ brokers: [brokers], topic: "bench_latency", count: 0, partitions: 1 });
  const ingestor = new KafkaIngestor({ kafka: config.kafka, lake, tables, silver: config.silver, onFlush });
  await ingestor.start();
  // Warm-up (group join, table creation, JIT), not measured.
  await produceEvents({ brokers: [brokers], topic: "bench_latency", count: 2_000, rate: RATE, seed: 90 });
  await sleep(2_000);
  latencies.length = 0;
  await produceEvents({
    brokers: [brokers],
    topic: "bench_latency",
    count: LATENCY_EVENTS,
    rate: RATE,
    seed: 91,
  });
  const deadline = Date.now() + 30_000;
  while (latencies.length < LATENCY_EVENTS && Date.now() < deadline) await sleep(100);
  await ingestor.stop();
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `kafka event → Silver at ${RATE} ev/s (${sorted.length} events, batch ${config.kafka.batchMaxMs} ms): p50 ${percentile(sorted, 0.5).toFixed(0)} ms, p95 ${percentile(sorted, 0.95).toFixed(0)} ms, max ${percentile(sorted, 1).toFixed(0)} ms (goal p95 ≤ 2000 ms)`,
  );
  rmSync(dir, { recursive: true, force: true });
}

function jsonParseRate(values: readonly Buffer[]): number {
  const started = performance.now();
  let fields = 0;
  for (const v of values) {
    const parsed: unknown = JSON.parse(v.toString("utf8"));
    if (typeof parsed === "object" && parsed !== null) fields += Object.keys(parsed).length;
  }
  const seconds = (performance.now() - started) / 1000;
  if (fields === 0) throw new Error("nothing parsed");
  return values.length / seconds;
}

async function throughput(brokers: string): Promise<void> {
  const events = generateSalesEvents(THROUGHPUT_EVENTS, { seed: 5, badFraction: 0.01 });
  const values = events.map((e) => Buffer.from(JSON.stringify(e.event)));
  jsonParseRate(values.slice(0, 5_000));
  const parseRate = jsonParseRate(values);

  // Bronze alone, without the broker: the raw values become JSONL objects (no parse), 5,000 per object.
  {
    const { dir, lake } = setup(brokers, "bench_bronze");
    const started = performance.now();
    for (let at = 0; at < values.length; at += 5_000) {
      const bytes = encodeJsonLines(values.slice(at, at + 5_000));
      await lake.put(
        bronzeEventKey({ topic: "bench_bronze", partition: 0, startOffset: at }, Date.now()),
        bytes,
      );
    }
    const rate = values.length / ((performance.now() - started) / 1000);
    console.log(
      `kafka ingest to Bronze (no broker) ${rate.toFixed(0)} ev/s vs JSON.parse ${parseRate.toFixed(0)} ev/s: ratio ${(rate / parseRate).toFixed(2)} (goal ≥ 1.0)`,
    );
    rmSync(dir, { recursive: true, force: true });
  }

  // Without the broker: Bronze encode + put, then the Silver merge, in 5,000-event micro-batches.
  {
    const { dir, config, lake, tables } = setup(brokers, "bench_local");
    const started = performance.now();
    for (let at = 0; at < values.length; at += 5_000) {
      const slice = values.slice(at, at + 5_000);
      const name = { topic: "bench_local", partition: 0, startOffset: at };
      const bytes = encodeJsonLines(slice);
      const key = bronzeEventKey(name, Date.now());
      await lake.put(key, bytes);
      await applyEventObjects(
        tables,
        [{ key, ...name, count: slice.length, ingestedAtMs: Date.now(), bytes }],
        {
          runId: "bench",
          nowMs: Date.now(),
          dateFormats: config.silver.dateFormats,
          salesOutlierThreshold: config.silver.salesOutlierThreshold,
          load: (k) => lake.get(k),
        },
      );
    }
    const rate = values.length / ((performance.now() - started) / 1000);
    console.log(
      `kafka ingest (Bronze + Silver, no broker) ${rate.toFixed(0)} ev/s vs JSON.parse ${parseRate.toFixed(0)} ev/s: ratio ${(rate / parseRate).toFixed(2)} (goal ≥ 1.0)`,
    );
    rmSync(dir, { recursive: true, force: true });
  }

  // End to end: the events already in the topic, consumed by the streaming ingestor (group join
  // included), to Bronze only and then to Bronze and Silver.
  await produceEvents({
    brokers: [brokers],
    topic: "bench_throughput",
    count: THROUGHPUT_EVENTS,
    seed: 5,
    badFraction: 0.01,
    burst: 1_000,
  });
  for (const applySilver of [false, true]) {
    const { dir, config, lake, tables } = setup(brokers, `bench_throughput_${applySilver}`);
    let done = 0;
    // Timed from the first micro-batch to the last, so the group join (a fixed ~1 s) is not counted.
    let first: { at: number; records: number } | undefined;
    let lastAt = 0;
    const ingestor = new KafkaIngestor({
      kafka: { ...config.kafka, topic: "bench_throughput", batchMaxRecords: 5_000, batchMaxMs: 500 },
      lake,
      tables,
      silver: config.silver,
      applySilver,
      onFlush: (r) => {
        done += r.records;
        lastAt = performance.now();
        first ??= { at: lastAt, records: r.records };
      },
    });
    await ingestor.start();
    const deadline = Date.now() + 120_000;
    while (done < THROUGHPUT_EVENTS && Date.now() < deadline) await sleep(20);
    const rate = first === undefined ? 0 : (done - first.records) / ((lastAt - first.at) / 1000);
    await ingestor.stop();
    console.log(
      `kafka ingest end to end (Kafka → Bronze${applySilver ? " → Silver" : ""}, after the first batch) ${rate.toFixed(0)} ev/s vs JSON.parse ${parseRate.toFixed(0)} ev/s: ratio ${(rate / parseRate).toFixed(2)} (goal ≥ 1.0)`,
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchKafka(): Promise<void> {
  const broker = await startKafka();
  try {
    await latency(broker.brokers);
    await throughput(broker.brokers);
  } finally {
    await broker.stop();
  }
}
