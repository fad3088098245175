import type { Consumer, EachBatchPayload, KafkaMessage } from "kafkajs";
import type { KafkaConfig } from "../../resources/config/config.ts";
import type { DeltaTables } from "../../resources/delta/delta-tables.ts";
import { kafkaClient } from "../../resources/kafka/kafka.ts";
import type { ObjectStore } from "../../resources/object-store/object-store.ts";
import { ChunkPool, JsonLinesBuilder } from "./jsonl.ts";
import { SilverKeyIndex } from "./key-index.ts";
import { bronzeEventKey } from "./naming.ts";
import { applyEventObjects, type EventObject, type StreamSilverCounts } from "./stream-silver.ts";

/**
 * The streaming consumer: Kafka `sales_events` → Bronze JSONL objects → Silver, with exactly-once
 * effect. Per micro-batch (a partition's buffer closes after `batchMaxRecords` records or
 * `batchMaxMs` after its first record):
 *   1. each partition's consecutive records become one object `<topic>+<partition>+<startOffset>.jsonl`
 *      (deterministic name: a redelivery rewrites the same object);
 *   2. the objects are merged into Silver, each partition's commit carrying its txn (next offset); the
 *      transform runs while the objects are written, the commits wait until they are durable;
 *   3. only then are the group offsets committed: Bronze is durable before any commit.
 * A crash anywhere replays from the committed offsets, and Silver's txn versions drop what it holds.
 */
export interface IngestorOptions {
  readonly kafka: KafkaConfig;
  readonly lake: ObjectStore;
  readonly tables: DeltaTables;
  readonly silver: { readonly dateFormats: readonly string[]; readonly salesOutlierThreshold: number };
  readonly runId?: string;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
  /** false: Bronze only (offsets committed once the objects are durable); for measuring ingestion. */
  readonly applySilver?: boolean;
  /** Called after each micro-batch is in Silver and its offsets are committed. */
  readonly onFlush?: (report: FlushReport) => void;
  /** Called when a fetch request starts (after the group join): lets a benchmark time ingestion alone. */
  readonly onFetchStart?: () => void;
}

export interface FlushReport {
  /** The objects written; their `bytes` are valid until the callback returns (later objects reuse them). */
  readonly objects: readonly EventObject[];
  readonly records: number;
  readonly silver: StreamSilverCounts;
  /** When the Silver commit was visible (epoch ms). */
  readonly visibleAtMs: number;
}

const NO_SILVER: StreamSilverCounts = {
  rowsRead: 0,
  inserted: 0,
  updated: 0,
  unchanged: 0,
  quarantined: 0,
  alreadyApplied: 0,
  objectsProcessed: 0,
  deltaVersion: -1,
};

/** Consecutive offsets of one partition from `startOffset`: one Bronze object, its lines built as they arrive. */
interface Segment {
  readonly startOffset: number;
  readonly lines: JsonLinesBuilder;
}

interface PartitionBuffer {
  segments: Segment[];
  firstAtMs: number;
  records: number;
}

export class KafkaIngestor {
  private consumer: Consumer | undefined;
  private buffers = new Map<number, PartitionBuffer>();
  private buffered = 0;
  private flushChain: Promise<void> = Promise.resolve();
  /** A flush is queued on the chain and has not taken the buffers yet. */
  private flushQueued = false;
  /** Flushes scheduled on the chain and not finished yet, oldest first (they finish in order). */
  private readonly flushes: Promise<void>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly keys: SilverKeyIndex;
  /** Offsets to commit (newest per partition) and whether a commit is in flight. */
  private readonly toCommit = new Map<number, number>();
  private committing: Promise<void> | undefined;
  /** Buffers of the Bronze objects being built; each returns here once its object's flush is done. */
  private readonly chunks = new ChunkPool();
  /** Partitions whose last fetch stopped short of the high watermark (a backlog being read). */
  private readonly behind = new Set<number>();
  /** A backlog was read to its end since the last flush was scheduled (see noteCatchUp). */
  private drained = false;

  constructor(private readonly options: IngestorOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
    this.keys = new SilverKeyIndex(options.lake);
  }

  /** Joins the group and consumes until `stop()`. Resolves once the consumer runs. */
  async start(): Promise<void> {
    const { kafka } = this.options;
    // Reused fetch buffers: addMessages copies every value into its segment before onBatch returns.
    const client = kafkaClient(kafka.brokers, "strata-ingest", undefined, { reuseFetchBuffers: true });
    const consumer = client.consumer({
      groupId: kafka.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 50,
      // Fetches of a few MB. Before responses were read into reused buffers (framed-socket.ts), each
      // fetch cost a fresh buffer of its size in page faults: 32 MB/8 MB per partition 3.8 µs of CPU
      // per event, 4 MB/2 MB 2.8 µs. With reuse, 4/2, 8/4 and 16/8 MB measured alike (100,000 events,
      // alternating); the smallest keeps the least memory.
      maxBytesPerPartition: 2 * 1024 * 1024,
      maxBytes: 4 * 1024 * 1024,
      // Broker outages: keep retrying, then kafkajs restarts the consumer from the committed offsets.
      retry: { initialRetryTime: 250, maxRetryTime: 2_000, retries: 60 },
    });
    this.consumer = consumer;
    if (process.env.STRATA_KAFKA_DEBUG === "1") {
      for (const name of [
        "consumer.crash",
        "consumer.rebalancing",
        "consumer.group_join",
        "consumer.stop",
        "consumer.disconnect",
        "consumer.connect",
      ] as const)
        consumer.on(name, (e) => this.log(`${name} ${String(JSON.stringify(e.payload)).slice(0, 300)}`));
    }
    const { onFetchStart } = this.options;
    if (onFetchStart !== undefined) consumer.on(consumer.events.FETCH_START, () => onFetchStart());
    await consumer.connect();
    await consumer.subscribe({ topic: kafka.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.timer = setInterval(() => this.maybeFlush(), Math.max(5, Math.min(50, kafka.batchMaxMs / 5)));
  }

  /** Flushes what is buffered, then leaves the group. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.flushNow();
    while (this.committing !== undefined) await this.committing;
    await this.consumer?.disconnect();
    this.consumer = undefined;
    if (this.failure) throw this.failure;
  }

  /** Starts a flush of everything buffered and waits for all flushes so far. */
  flushNow(): Promise<void> {
    this.scheduleFlush();
    return this.flushChain;
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale()) return;
    const { messages } = batch;
    const last = messages[messages.length - 1];
    if (last !== undefined) {
      this.addMessages(batch.partition, messages);
      // One resolve per fetch: the loop above has no await, so nothing can interleave with it.
      resolveOffset(last.offset);
      this.noteCatchUp(batch.partition, Number(last.offset) + 1 >= Number(batch.highWatermark));
    }
    await heartbeat();
    if (this.buffered >= 4 * this.options.kafka.batchMaxRecords) this.scheduleFlush();
    else this.flushIfDrained();
    // Backpressure: do not run far ahead of Bronze/Silver. One flush may run while the next fetch is
    // in flight (Bronze writes wait on fsync, the fetch on the broker); with one queued as well (it
    // takes what is buffered when it starts), fetching waits for the running one.
    while (this.flushes.length > 1 && this.flushes[0] !== undefined) await this.flushes[0];
  }

  /**
   * A backlog read to its end on every partition that had one (a partition's previous fetch stopped
   * short of the high watermark, its latest reached it): what is buffered is all there is for now,
   * so waiting out batchMaxMs would only delay it (up to 250 ms at the end of a catch-up or a
   * burst). Waiting for the last partition keeps it one flush (partitions drain a fetch or two
   * apart; each flush costs a Silver merge and commits). A stream that keeps up (every fetch reaches
   * the high watermark) never gets here: it batches by time, as does a partition that stays behind.
   */
  private noteCatchUp(partition: number, caughtUp: boolean): void {
    if (!caughtUp) this.behind.add(partition);
    else if (this.behind.delete(partition) && this.behind.size === 0) this.drained = true;
  }

  /** A drained backlog flushes once no flush is running (what arrives meanwhile joins it). */
  private flushIfDrained(): void {
    if (this.drained && this.flushes.length === 0) this.scheduleFlush();
  }

  /**
   * The messages of one fetch. Offsets are consecutive unless the log was compacted or holds
   * transaction markers: then a gap starts a new object, so that line i is always offset start + i.
   */
  private addMessages(partition: number, messages: readonly KafkaMessage[]): void {
    const buffer = this.buffers.get(partition) ?? { segments: [], firstAtMs: this.now(), records: 0 };
    this.buffers.set(partition, buffer);
    let run = 0;
    let runStart = Number(messages[0]?.offset);
    for (let i = 1; i <= messages.length; i++) {
      const offset = i < messages.length ? Number(messages[i]?.offset) : Number.NaN;
      if (offset === runStart + (i - run)) continue;
      this.addRun(buffer, runStart, messages, run, i);
      run = i;
      runStart = offset;
    }
  }

  /** Messages [from, to) with consecutive offsets from `offset`. */
  private addRun(
    buffer: PartitionBuffer,
    offset: number,
    messages: readonly KafkaMessage[],
    from: number,
    to: number,
  ): void {
    const max = this.options.kafka.batchMaxRecords;
    const last = buffer.segments[buffer.segments.length - 1];
    // A redelivery (rebalance or restart from the committed offset): keep only what precedes it.
    if (last !== undefined && offset < last.startOffset + last.lines.lines) this.truncate(buffer, offset);
    let at = from;
    while (at < to) {
      const tail = buffer.segments[buffer.segments.length - 1];
      const next = offset + (at - from);
      // A file holds at most batchMaxRecords records, even when one fetch brings more (a backlog).
      const segment =
        tail !== undefined && tail.lines.lines < max && tail.startOffset + tail.lines.lines === next
          ? tail
          : { startOffset: next, lines: new JsonLinesBuilder(this.chunks) };
      if (segment !== tail) buffer.segments.push(segment);
      const end = Math.min(to, at + (max - segment.lines.lines));
      for (let i = at; i < end; i++) segment.lines.append(messages[i]?.value ?? null);
      buffer.records += end - at;
      this.buffered += end - at;
      at = end;
    }
  }

  private truncate(buffer: PartitionBuffer, offset: number): void {
    const kept: Segment[] = [];
    for (const segment of buffer.segments) {
      if (segment.startOffset >= offset) {
        segment.lines.release();
        continue;
      }
      segment.lines.truncate(offset - segment.startOffset);
      kept.push(segment);
    }
    const records = kept.reduce((n, s) => n + s.lines.lines, 0);
    this.buffered -= buffer.records - records;
    buffer.records = records;
    buffer.segments = kept;
  }

  private maybeFlush(): void {
    const { batchMaxMs, batchMaxRecords } = this.options.kafka;
    const now = this.now();
    for (const buffer of this.buffers.values()) {
      if (buffer.records >= batchMaxRecords || now - buffer.firstAtMs >= batchMaxMs) {
        this.scheduleFlush();
        return;
      }
    }
  }

  /**
   * Queues a flush of everything buffered when it starts: while one flush runs, the next one waits
   * and takes what arrives meanwhile (one queued flush at most). Taking the buffers when it was
   * queued instead made a queue of small flushes whenever Silver was slower than the fetches (each
   * a Silver merge and commits), and the timer kept adding to it.
   */
  private scheduleFlush(): void {
    this.drained = false;
    if (this.buffered === 0 || this.flushQueued) return;
    this.flushQueued = true;
    this.flushChain = this.flushChain
      .then(() => {
        this.flushQueued = false;
        const taken = this.buffers;
        this.buffers = new Map();
        this.buffered = 0;
        return this.flush(taken);
      })
      .catch((error: unknown) => {
        // The records stay uncommitted in Kafka: a restarted consumer reads them again.
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.log(`flush failed: ${this.failure.message}`);
        this.consumer?.disconnect().catch(() => undefined);
      })
      .finally(() => {
        this.flushes.shift();
        this.flushIfDrained();
      });
    this.flushes.push(this.flushChain);
  }

  /**
   * Offset commits run beside the next flushes instead of blocking them: during a broker outage a
   * commit waits out its retries while Bronze and Silver go on with what was fetched. Commits are
   * coalesced to the newest offsets; a commit that is lost only means a replay Silver's txn drops.
   */
  private commitInBackground(): void {
    if (this.committing !== undefined || this.toCommit.size === 0) return;
    const offsets = [...this.toCommit].map(([partition, offset]) => ({
      topic: this.options.kafka.topic,
      partition,
      offset: String(offset),
    }));
    this.toCommit.clear();
    this.committing = (this.consumer?.commitOffsets(offsets) ?? Promise.resolve())
      .catch((error: unknown) =>
        this.log(`offset commit failed (Silver already holds the records): ${String(error)}`),
      )
      .finally(() => {
        this.committing = undefined;
        this.commitInBackground();
      });
  }

  private async flush(taken: Map<number, PartitionBuffer>): Promise<void> {
    const { kafka } = this.options;
    const ingestedAtMs = this.now();
    const objects: EventObject[] = [];
    const built: JsonLinesBuilder[] = [];
    for (const [partition, buffer] of taken) {
      for (const segment of buffer.segments) {
        const name = { topic: kafka.topic, partition, startOffset: segment.startOffset };
        objects.push({
          key: bronzeEventKey(name, ingestedAtMs),
          ...name,
          count: segment.lines.lines,
          ingestedAtMs,
          // The builder's own memory, no copy: it goes back to the pool once this flush is done.
          bytes: segment.lines.view(),
        });
        built.push(segment.lines);
      }
    }
    await this.writeAndApply(objects, ingestedAtMs);
    // Not on failure: a write still in flight may be reading them (the records are replayed anyway).
    for (const lines of built) lines.release();
  }

  private async writeAndApply(objects: readonly EventObject[], ingestedAtMs: number): Promise<void> {
    const { lake, tables, silver } = this.options;
    // Bronze writes (fsync-bound) and the Silver transform (CPU) overlap; Silver commits only once
    // Bronze is durable, and offsets are committed after both.
    const bronzeDurable = Promise.all(
      objects.map((o) => (o.bytes === undefined ? undefined : lake.put(o.key, o.bytes))),
    );
    // Handled here (awaited below); a failure must not surface as an unhandled rejection meanwhile.
    bronzeDurable.catch(() => undefined);
    const counts =
      this.options.applySilver === false
        ? NO_SILVER
        : await applyEventObjects(tables, objects, {
            runId: this.options.runId ?? `stream-${ingestedAtMs}`,
            nowMs: ingestedAtMs,
            dateFormats: silver.dateFormats,
            salesOutlierThreshold: silver.salesOutlierThreshold,
            load: (key) => lake.get(key),
            keys: this.keys,
            bronzeDurable,
          });
    await bronzeDurable;
    const visibleAtMs = this.now();
    const next = new Map<number, number>();
    for (const o of objects)
      next.set(o.partition, Math.max(next.get(o.partition) ?? 0, o.startOffset + o.count));
    for (const [partition, offset] of next) this.toCommit.set(partition, offset);
    this.commitInBackground();
    const records = objects.reduce((n, o) => n + o.count, 0);
    this.log(
      `flushed ${records} record(s) in ${objects.length} object(s); Silver +${counts.inserted} ~${counts.updated} q${counts.quarantined}`,
    );
    this.options.onFlush?.({ objects, records, silver: counts, visibleAtMs });
  }
}
