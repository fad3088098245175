/**
 * The Kafka sensor and the stream assets on the real pipeline (daemon tick → micro-batch run), with a
 * real broker from infra/local/kafka.sh: lag requests a run, the run lands the events in Silver once,
 * and no lag requests nothing.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { Daemon } from "../../engine/daemon/daemon.ts";
import { PipelineHarness } from "../testing/pipeline-harness.ts";
import { generateSalesEvents } from "./events.ts";
import { produceEvents } from "./produce.ts";
import { KAFKA_START_TIMEOUT_MS, type KafkaBroker, startKafka } from "./testing/kafka-broker.ts";

let broker: KafkaBroker;
let h: PipelineHarness;

beforeAll(async () => {
  broker = await startKafka();
  // The pipeline reads its configuration from the environment when the definitions load.
  process.env.STRATA_KAFKA_BROKERS = broker.brokers;
  process.env.STRATA_KAFKA_TOPIC = "sales_events_engine";
  process.env.STRATA_KAFKA_GROUP_ID = "it-engine";
  h = await PipelineHarness.open();
}, KAFKA_START_TIMEOUT_MS);

afterAll(async () => {
  await h?.close();
  await broker?.stop();
});

test("consumer lag → the sensor requests a micro-batch → events in Silver once; no lag → no run", async () => {
  const count = 800;
  const expected = generateSalesEvents(count, { seed: 31, badFraction: 0.02 });
  const good = expected.filter((e) => e.bad === undefined).length;
  await produceEvents({
    brokers: [broker.brokers],
    topic: "sales_events_engine",
    count,
    seed: 31,
    badFraction: 0.02,
  });
  const { storage, materializer, backfills, clock } = h.workspace;
  const errors: Error[] = [];
  const daemon = new Daemon(storage, materializer, backfills, clock, {
    maxConcurrentRuns: 1,
    onError: (e) => errors.push(e),
  });
  await daemon.tick();
  await daemon.drain();
  expect(errors).toEqual([]);
  const runs = await storage.listRuns();
  const bySensor = runs.filter((run) => run.origin?.kind === "sensor");
  expect(bySensor).toHaveLength(1);
  expect(bySensor[0]?.status).toBe("success");
  const silver = await h.tables.table("silver/sales").read();
  const ids = silver
    .getColumn("event_id")
    .toArray()
    .filter((id) => typeof id === "string");
  expect(new Set(ids).size).toBe(good);
  expect(ids).toHaveLength(good);

  // Caught up: the next tick finds no lag and requests nothing.
  await daemon.tick();
  await daemon.drain();
  expect((await storage.listRuns()).filter((run) => run.origin?.kind === "sensor")).toHaveLength(1);
}, 180_000);
