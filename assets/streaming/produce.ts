import { setTimeout as sleep } from "node:timers/promises";
import { CompressionTypes, type Producer } from "kafkajs";
import { quote, StrataError } from "../../engine/index.ts";
import { ensureTopic, kafkaClient } from "../../resources/kafka/kafka.ts";
import { type BadEventKind, type GeneratedEvent, SalesEventGenerator } from "./events.ts";

export interface ProduceOptions {
  readonly brokers: readonly string[];
  readonly topic?: string;
  readonly count: number;
  /** Events per second; 0 = as fast as the broker takes them. */
  readonly rate?: number;
  /** Events per send (one produce request); also the burst sent back to back at the rate's pace. */
  readonly burst?: number;
  readonly seed?: number;
  readonly badFraction?: number;
  /** Partitions of the topic when it has to be created. */
  readonly partitions?: number;
  /** Skip the first `from` events of the seed's stream (resume a partly produced run). */
  readonly from?: number;
  /** Give up when the broker stays unreachable this long (default 120 s); sends retry until then. */
  readonly outageToleranceMs?: number;
  readonly signal?: AbortSignal;
  readonly onSent?: (events: readonly GeneratedEvent[], sentAtMs: number) => void;
}

export interface ProduceResult {
  readonly sent: number;
  readonly bad: Readonly<Partial<Record<BadEventKind, number>>>;
  readonly seconds: number;
  /** Sends that failed and were retried (broker outages). */
  readonly retries: number;
}

/**
 * Sends `count` generated events (PIPELINE §5) keyed by order id. A send that fails is retried with
 * backoff until the broker is back (or `outageToleranceMs` passes), so an outage delays production
 * but loses nothing; a retried batch may reach the topic twice, which Silver absorbs (same event,
 * same key: the merge leaves the row as it is).
 */
export async function produceEvents(options: ProduceOptions): Promise<ProduceResult> {
  const topic = options.topic ?? "sales_events";
  const burst = Math.max(1, Math.floor(options.burst ?? 100));
  const rate = Math.max(0, options.rate ?? 0);
  const tolerance = options.outageToleranceMs ?? 120_000;
  const kafka = kafkaClient(options.brokers, "strata-produce");
  await ensureTopic(kafka, topic, options.partitions ?? 3);
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    retry: { retries: 3, maxRetryTime: 1_000 },
  });
  await producer.connect();
  const generator = new SalesEventGenerator({
    seed: options.seed ?? 1,
    badFraction: options.badFraction ?? 0,
    producerId: `strata-produce-${process.pid}`,
  });
  for (let i = 0; i < (options.from ?? 0); i++) generator.next(0);
  const bad: Partial<Record<BadEventKind, number>> = {};
  const started = Date.now();
  let sent = 0;
  let retries = 0;
  try {
    while (sent < options.count) {
      if (options.signal?.aborted) break;
      if (rate > 0) {
        // Pace by the schedule, not by the previous send, so slow sends do not lower the rate.
        const due = started + (sent / rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
      }
      const size = Math.min(
        burst,
        options.count - sent,
        rate > 0 ? Math.max(1, Math.ceil(rate / 50)) : burst,
      );
      const now = Date.now();
      const events = Array.from({ length: size }, () => generator.next(now));
      retries += await sendWithRetry(producer, topic, events, tolerance);
      for (const e of events) if (e.bad !== undefined) bad[e.bad] = (bad[e.bad] ?? 0) + 1;
      sent += size;
      options.onSent?.(events, now);
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return { sent, bad, seconds: (Date.now() - started) / 1000, retries };
}

async function sendWithRetry(
  producer: Producer,
  topic: string,
  events: readonly GeneratedEvent[],
  toleranceMs: number,
): Promise<number> {
  const messages = events.map((e) => ({ key: e.key, value: JSON.stringify(e.event) }));
  const firstFailure = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      await producer.send({ topic, messages, compression: CompressionTypes.None });
      return attempt;
    } catch (error) {
      if (Date.now() - firstFailure > toleranceMs)
        throw new StrataError(
          "STRATA_ERR_KAFKA",
          `producing to ${quote(topic)} failed for ${Math.round(toleranceMs / 1000)} s: ${error instanceof Error ? error.message : String(error)}`,
        );
      await sleep(Math.min(2_000, 200 * 2 ** Math.min(attempt, 4)));
    }
  }
}
