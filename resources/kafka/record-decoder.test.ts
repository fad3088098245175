import { createRequire } from "node:module";
import { describe, expect, test } from "vitest";
import {
  fastRecordBatchDecoder,
  type KafkaDecoder,
  originalRecordBatchDecoder,
  type RecordBatchDecoder,
} from "./record-decoder.ts";

/** Record batches encoded by kafkajs itself, decoded by its decoder and by ours: same output. */
const require = createRequire(import.meta.url);
const loaded = (path: string): unknown => require(`kafkajs/src/protocol/${path}`);

interface Encoded {
  readonly buffer: Buffer;
}
const isEncoded = (value: unknown): value is Encoded =>
  typeof value === "object" && value !== null && "buffer" in value && Buffer.isBuffer(value.buffer);
const isDecoder = (value: unknown): value is KafkaDecoder =>
  typeof value === "object" &&
  value !== null &&
  "buffer" in value &&
  "offset" in value &&
  typeof value.offset === "number";

interface RecordSpec {
  readonly offsetDelta: number;
  readonly timestampDelta?: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Record<string, string | string[]>;
}
interface BatchSpec {
  readonly firstOffset?: string;
  readonly firstTimestamp?: number;
  readonly maxTimestamp?: number;
  readonly lastOffsetDelta?: number;
  readonly transactional?: boolean;
  readonly compression?: number;
  readonly records: readonly RecordSpec[];
}

function call(path: string, name: string | undefined, ...args: unknown[]): unknown {
  const module = loaded(path);
  const f =
    name === undefined ? module : typeof module === "object" && module !== null && Reflect.get(module, name);
  if (typeof f !== "function") throw new Error(`${path} ${name ?? ""} is not a function`);
  return Reflect.apply(f, undefined, args);
}

async function encodeBatch(spec: BatchSpec): Promise<Buffer> {
  const Long = loaded("../utils/long.js");
  if (typeof Long !== "function" || !("fromValue" in Long) || typeof Long.fromValue !== "function")
    throw new Error("kafkajs Long not found");
  const fromValue = Long.fromValue;
  const records = spec.records.map((r) => call("recordBatch/record/v0/index.js", undefined, r));
  const encoded: unknown = await call("recordBatch/v0/index.js", "RecordBatch", {
    ...spec,
    firstOffset: Reflect.apply(fromValue, Long, [spec.firstOffset ?? "0"]),
    records,
  });
  if (!isEncoded(encoded)) throw new Error("kafkajs did not encode a batch");
  return encoded.buffer;
}

function decoderOf(buffer: Buffer): KafkaDecoder {
  const Decoder = loaded("decoder.js");
  if (typeof Decoder !== "function") throw new Error("kafkajs Decoder not found");
  const decoder: unknown = Reflect.construct(Decoder, [buffer]);
  if (!isDecoder(decoder)) throw new Error("not a kafkajs Decoder");
  return decoder;
}

const original = originalRecordBatchDecoder();
let delegated = 0;
const fast = fastRecordBatchDecoder((decoder) => {
  delegated++;
  return original(decoder);
});

/** Decodes `buffer` (one or more batches) with both; returns the fast decoder's batches. */
async function same(buffer: Buffer, batches = 1): Promise<unknown[]> {
  const results: unknown[][] = [];
  for (const decode of [original, fast] satisfies RecordBatchDecoder[]) {
    const decoder = decoderOf(buffer);
    const out: unknown[] = [];
    for (let i = 0; i < batches; i++) out.push(plain(await decode(decoder)));
    out.push(decoder.offset);
    results.push(out);
  }
  expect(results[1]).toEqual(results[0]);
  return results[1] ?? [];
}

/** A decoded batch with each record's public properties read (the fast decoder's are getters). */
function plain(batch: unknown): unknown {
  if (typeof batch !== "object" || batch === null || !("records" in batch) || !Array.isArray(batch.records))
    return batch;
  const fields = ["magicByte", "attributes", "timestamp", "offset", "key", "value", "headers"] as const;
  const more = ["isControlRecord", "batchContext"] as const;
  const records = batch.records.map((r: unknown) =>
    Object.fromEntries([...fields, ...more].map((f) => [f, Reflect.get(Object(r), f)])),
  );
  return { ...batch, records };
}

const event = (i: number): Buffer => Buffer.from(JSON.stringify({ event_id: `e${i}`, sales: i * 1.5 }));

describe("kafkajs record-batch decoder", () => {
  test("plain batch: offsets, timestamps, keys, null key and value, headers (repeated keys)", async () => {
    const buffer = await encodeBatch({
      firstOffset: "1000",
      firstTimestamp: 1_767_225_600_000,
      maxTimestamp: 1_767_225_600_050,
      lastOffsetDelta: 3,
      records: [
        { offsetDelta: 0, timestampDelta: 0, key: Buffer.from("ES-2014-1"), value: event(0) },
        { offsetDelta: 1, timestampDelta: 7, key: null, value: event(1), headers: { a: "x" } },
        { offsetDelta: 2, timestampDelta: 50, key: Buffer.from(""), value: null },
        {
          offsetDelta: 3,
          timestampDelta: 3,
          key: Buffer.from("k"),
          value: event(3),
          headers: { h: ["1", "2"] },
        },
      ],
    });
    delegated = 0;
    const [batch] = await same(buffer);
    expect(delegated).toBe(0);
    expect(batch).toMatchObject({ firstOffset: "1000", records: [{ offset: "1000" }, {}, {}, {}] });
  });

  test("several batches back to back, then one cut short by the fetch size", async () => {
    const a = await encodeBatch({
      firstOffset: "0",
      records: [{ offsetDelta: 0, key: null, value: event(0) }],
    });
    const b = await encodeBatch({
      firstOffset: "1",
      transactional: true,
      lastOffsetDelta: 1,
      records: [
        { offsetDelta: 0, key: null, value: event(1) },
        { offsetDelta: 1, key: null, value: event(2) },
      ],
    });
    delegated = 0;
    await same(Buffer.concat([a, b]), 2);
    expect(delegated).toBe(0);
    const cut = Buffer.concat([a, b.subarray(0, b.length - 5)]);
    for (const decode of [original, fast]) {
      const decoder = decoderOf(cut);
      await decode(decoder);
      await expect(decode(decoder)).rejects.toMatchObject({ name: "KafkaJSPartialMessageError" });
    }
  });

  test("compressed batches and offsets beyond 2^53 are left to kafkajs, with the same result", async () => {
    delegated = 0;
    await same(
      await encodeBatch({
        compression: 1,
        records: [
          { offsetDelta: 0, key: null, value: event(0) },
          { offsetDelta: 1, key: null, value: event(1) },
        ],
      }),
    );
    await same(
      await encodeBatch({
        firstOffset: "9007199254740993",
        records: [{ offsetDelta: 0, key: null, value: event(0) }],
      }),
    );
    expect(delegated).toBe(2);
  });
});
