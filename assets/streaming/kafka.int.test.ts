/**
 * Kafka → Bronze → Silver against a real broker (infra/local/kafka.sh): exactly once by event id
 * through a SIGKILLed consumer process, and through a 30 s broker outage during production.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../resources/config/config.ts";
import { LakeDeltaTables } from "../../resources/delta/delta-tables.ts";
import { LocalObjectStore } from "../../resources/object-store/local-object-store.ts";
import { generateSalesEvents } from "./events.ts";
import { KafkaIngestor } from "./ingestor.ts";
import { BRONZE_EVENTS_PREFIX, parseBronzeEventKey } from "./naming.ts";
import { produceEvents } from "./produce.ts";
import { KAFKA_START_TIMEOUT_MS, type KafkaBroker, startKafka } from "./testing/kafka-broker.ts";

const cli = fileURLToPath(new URL("../../bin/strata.js", import.meta.url));
let broker: KafkaBroker;
const dirs: string[] = [];

beforeAll(async () => {
  broker = await startKafka();
}, KAFKA_START_TIMEOUT_MS);

afterAll(async () => {
  await broker?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), "strata-kafka-it-"));
  dirs.push(dir);
  return dir;
}

/** Event ids in Silver (with their multiplicity) and the quarantine's row count. */
interface SilverState {
  readonly ids: Map<string, number>;
  readonly quarantined: number;
  /** Event ids of the quarantined rows (kept in their extra_fields). */
  readonly quarantinedIds: Set<string>;
}

async function silverState(lakeRoot: string): Promise<SilverState> {
  const tables = new LakeDeltaTables(new LocalObjectStore(lakeRoot));
  const sales = tables.table("silver/sales");
  const quarantine = tables.table("silver/sales_quarantine");
  const ids = new Map<string, number>();
  const quarantinedIds = new Set<string>();
  if (!(await sales.exists())) return { ids, quarantined: 0, quarantinedIds };
  for (const id of (await sales.read()).getColumn("event_id").toArray()) {
    if (typeof id === "string") ids.set(id, (ids.get(id) ?? 0) + 1);
  }
  if (!(await quarantine.exists())) return { ids, quarantined: 0, quarantinedIds };
  const rejected = await quarantine.read();
  for (const extra of rejected.getColumn("extra_fields").toArray()) {
    const id = typeof extra === "string" ? /"event_id":"([^"]+)"/.exec(extra)?.[1] : undefined;
    if (id !== undefined) quarantinedIds.add(id);
  }
  return { ids, quarantined: rejected.height, quarantinedIds };
}

async function waitFor(
  lakeRoot: string,
  expected: ReturnType<typeof generateSalesEvents>,
  timeoutMs: number,
): Promise<void> {
  const bad = expected.filter((e) => e.bad !== undefined).length;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { ids, quarantinedIds } = await silverState(lakeRoot);
    if (ids.size >= expected.length - bad && quarantinedIds.size >= bad) return;
    await sleep(500);
  }
}

/**
 * Every good event once in Silver (by event id), every bad one in quarantine. `strictQuarantine`:
 * one quarantine row per bad event; without it a bad event the producer re-sent after an outage may
 * be quarantined once per copy (the quarantine records what arrived), still never in Silver.
 */
function expectExactlyOnce(
  state: SilverState,
  expected: ReturnType<typeof generateSalesEvents>,
  strictQuarantine: boolean,
): void {
  const good = expected.filter((e) => e.bad === undefined).map((e) => e.event.event_id);
  const bad = expected.length - good.length;
  const duplicated = [...state.ids].filter(([, n]) => n > 1);
  expect(duplicated).toEqual([]);
  const missing = good.filter((id) => !state.ids.has(id));
  expect(missing).toEqual([]);
  expect(state.ids.size).toBe(good.length);
  const badIds = expected.filter((e) => e.bad !== undefined).map((e) => e.event.event_id);
  expect(badIds.filter((id) => !state.quarantinedIds.has(id))).toEqual([]);
  if (strictQuarantine) expect(state.quarantined).toBe(bad);
  else expect(state.quarantined).toBeGreaterThanOrEqual(bad);
}

function consumer(env: NodeJS.ProcessEnv, output: string[]): ChildProcess {
  const child = spawn(process.execPath, [cli, "stream"], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (chunk: Buffer) =>
    output.push(
      ...chunk
        .toString()
        .split("\n")
        .filter((l) => l !== ""),
    ),
  );
  child.stderr?.on("data", (chunk: Buffer) =>
    output.push(
      ...chunk
        .toString()
        .split("\n")
        .filter((l) => l !== ""),
    ),
  );
  return child;
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await sleep(50);
}

describe("Kafka ingestion against a real broker", () => {
  test("10,000 events; the consumer SIGKILLed mid-batch and restarted → each event exactly once in Silver", async () => {
    const dir = home();
    const topic = "sales_events_kill";
    const count = 10_000;
    const seed = 21;
    const expected = generateSalesEvents(count, { seed, badFraction: 0.01 });
    const sent = await produceEvents({
      brokers: [broker.brokers],
      topic,
      count,
      seed,
      badFraction: 0.01,
      partitions: 3,
      burst: 500,
    });
    expect(sent.sent).toBe(count);
    const env = {
      ...process.env,
      STRATA_HOME: join(dir, ".strata"),
      STRATA_KAFKA_BROKERS: broker.brokers,
      STRATA_KAFKA_TOPIC: topic,
      STRATA_KAFKA_GROUP_ID: "it-kill",
      // Small files so that the kill lands between flushes, with more records in flight.
      STRATA_KAFKA_BATCH_MAX_RECORDS: "700",
      STRATA_KAFKA_BATCH_MAX_MS: "200",
    };
    const output: string[] = [];
    const first = consumer(env, output);
    await until(() => output.some((l) => l.startsWith("flushed")), 60_000);
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    const lakeRoot = join(dir, ".strata", "lake");
    const before = await silverState(lakeRoot);
    expect(before.ids.size + before.quarantined).toBeGreaterThan(0);
    expect(before.ids.size + before.quarantined).toBeLessThan(count);

    const second = consumer(env, output);
    await waitFor(lakeRoot, expected, 90_000);
    second.kill("SIGTERM");
    await new Promise((resolve) => second.once("exit", resolve));
    expectExactlyOnce(await silverState(lakeRoot), expected, true);
    // Bronze objects are named <topic>+<partition>+<startOffset>.jsonl under the ingestion hour.
    const keys: string[] = [];
    for await (const o of new LocalObjectStore(lakeRoot).list(BRONZE_EVENTS_PREFIX)) keys.push(o.key);
    // At least one object per partition, none over the 700-record limit (names are deterministic, so
    // a replay from the same offset rewrote the same object rather than adding one).
    expect(keys.length).toBeGreaterThanOrEqual(Math.ceil(count / 700));
    for (const key of keys) {
      const lines = Buffer.from(await new LocalObjectStore(lakeRoot).get(key))
        .toString()
        .trimEnd()
        .split("\n");
      expect(lines.length).toBeLessThanOrEqual(700);
      expect(key).toMatch(/^bronze\/sales_events\/year=\d{4}\/month=\d\d\/day=\d\d\/hour=\d\d\//);
      expect(parseBronzeEventKey(key)?.topic).toBe(topic);
    }
  }, 240_000);

  test("broker down for 30 s while producing → ingestion resumes by itself, nothing lost", async () => {
    const dir = home();
    const topic = "sales_events_outage";
    const count = 3_000;
    const seed = 22;
    const config = loadConfig(
      {
        STRATA_HOME: join(dir, ".strata"),
        STRATA_KAFKA_BROKERS: broker.brokers,
        STRATA_KAFKA_TOPIC: topic,
        STRATA_KAFKA_GROUP_ID: "it-outage",
      },
      dir,
    );
    const lakeRoot = join(dir, ".strata", "lake");
    const lake = new LocalObjectStore(lakeRoot);
    const expected = generateSalesEvents(count, { seed, badFraction: 0.01 });
    // The topic exists before the consumer subscribes.
    await produceEvents({ brokers: [broker.brokers], topic, count: 0, partitions: 3 });
    const ingestor = new KafkaIngestor({
      kafka: config.kafka,
      lake,
      tables: new LakeDeltaTables(lake),
      silver: config.silver,
    });
    await ingestor.start();
    const production = produceEvents({
      brokers: [broker.brokers],
      topic,
      count,
      seed,
      badFraction: 0.01,
      rate: 150,
      outageToleranceMs: 120_000,
    });
    await sleep(3_000);
    await broker.kill();
    await sleep(30_000);
    await broker.resume();
    const result = await production;
    expect(result.sent).toBe(count);
    expect(result.retries).toBeGreaterThan(0);
    await waitFor(lakeRoot, expected, 90_000);
    await ingestor.stop();
    expectExactlyOnce(await silverState(lakeRoot), expected, false);
  }, 240_000);
});
