/**
 * A faster record-batch decoder for kafkajs 2.2.4 (the pinned client), installed in place of
 * `kafkajs/src/protocol/recordBatch/v0/decoder.js` before the first fetch.
 *
 * Why: kafkajs decodes every record through a `Decoder` object, 64-bit `Long`s built from strings
 * (BigInt parsing for each offset and timestamp) and a header `reduce`: about 3.5 µs per record,
 * as much as `JSON.parse` of a 700-byte sales event. Bronze ingestion does nothing else per record,
 * so that decode was most of its cost (profile of `npm run bench -- kafka`).
 *
 * What: the same result, record for record (offset, timestamp, key, value, headers,
 * batchContext...), read in one pass with plain number arithmetic while offsets and timestamps stay
 * below 2^53; key, value, timestamp and headers are made when read (`LazyRecord`). Anything else (compressed or control batches, an old magic byte, a batch cut short
 * by the fetch size, a record that does not parse, 64-bit values beyond 2^53) goes to kafkajs's own
 * decoder, so behaviour is unchanged there. `record-decoder.test.ts` checks both give equal output.
 */
import { createRequire } from "node:module";

/** The part of kafkajs's `Decoder` the fetch response hands to the record-batch decoder. */
export interface KafkaDecoder {
  buffer: Buffer;
  offset: number;
  forward(bytes: number): void;
}

export type RecordBatchDecoder = (decoder: KafkaDecoder) => Promise<unknown>;

const require = createRequire(import.meta.url);
const BATCH_DECODER = "kafkajs/src/protocol/recordBatch/v0/decoder.js";
/** The only module that requires the batch decoder; it is loaded lazily on the first fetch. */
const FETCH_MESSAGES = "kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js";

const isBatchDecoder = (value: unknown): value is RecordBatchDecoder => typeof value === "function";

/** kafkajs's own decoder (the fallback, and the reference in tests). */
export function originalRecordBatchDecoder(): RecordBatchDecoder {
  const loaded: unknown = require(BATCH_DECODER);
  const original = isBatchDecoder(loaded) && fastOriginal.has(loaded) ? fastOriginal.get(loaded) : loaded;
  if (!isBatchDecoder(original)) throw new Error(`${BATCH_DECODER} does not export a function`);
  return original;
}

/** fast decoder → the kafkajs decoder it stands in for. */
const fastOriginal = new WeakMap<RecordBatchDecoder, RecordBatchDecoder>();

/**
 * Installs the fast decoder. Idempotent; returns false when kafkajs already loaded its fetch
 * decoders (a fetch ran before this call) or its files are not where 2.2.4 keeps them, in which
 * case kafkajs keeps its own decoder.
 */
export function installRecordDecoder(): boolean {
  let path: string;
  let fetchMessages: string;
  let current: unknown;
  try {
    path = require.resolve(BATCH_DECODER);
    fetchMessages = require.resolve(FETCH_MESSAGES);
    current = require(path);
  } catch {
    // Another kafkajs layout (an upgrade): keep its own decoder rather than fail every client.
    return false;
  }
  if (isBatchDecoder(current) && fastOriginal.has(current)) return true;
  if (require.cache[fetchMessages] !== undefined) return false;
  const entry = require.cache[path];
  if (entry === undefined || !isBatchDecoder(current)) return false;
  const fast = fastRecordBatchDecoder(current);
  entry.exports = fast;
  return true;
}

const HEADER = 61; // batch header up to and including the record count
const CODEC_OR_CONTROL = 0x07 | 0x20;
const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

class Malformed extends Error {}

/** The fast decoder, delegating to `original` for every case it does not handle itself. */
export function fastRecordBatchDecoder(original: RecordBatchDecoder): RecordBatchDecoder {
  const fast: RecordBatchDecoder = (decoder) => {
    const decoded = decodePlainBatch(decoder);
    return decoded === undefined ? original(decoder) : Promise.resolve(decoded);
  };
  fastOriginal.set(fast, original);
  return fast;
}

interface Header {
  readonly key: string | null;
  readonly value: Buffer | null;
}

function decodePlainBatch(decoder: KafkaDecoder): object | undefined {
  const buf = decoder.buffer;
  const start = decoder.offset;
  if (start + HEADER > buf.length) return undefined;
  const end = start + 12 + buf.readInt32BE(start + 8);
  const magicByte = buf.readInt8(start + 16);
  const attributes = buf.readInt16BE(start + 21);
  if (end > buf.length || magicByte !== 2 || (attributes & CODEC_OR_CONTROL) !== 0) return undefined;
  const firstOffset = buf.readBigInt64BE(start);
  const firstTimestamp = buf.readBigInt64BE(start + 27);
  const maxTimestamp = buf.readBigInt64BE(start + 35);
  const lastOffsetDelta = buf.readInt32BE(start + 23);
  if (
    firstOffset < -SAFE ||
    firstOffset > SAFE - BigInt(Math.max(0, lastOffsetDelta)) ||
    firstTimestamp < -SAFE ||
    firstTimestamp > SAFE
  )
    return undefined;
  const timestampType = (attributes & LOG_APPEND_TIME) > 0 ? 1 : 0;
  const recordContext = {
    firstOffset: firstOffset.toString(),
    firstTimestamp: firstTimestamp.toString(),
    partitionLeaderEpoch: buf.readInt32BE(start + 12),
    inTransaction: (attributes & TRANSACTIONAL) > 0,
    isControlBatch: false,
    lastOffsetDelta,
    producerId: buf.readBigInt64BE(start + 43).toString(),
    producerEpoch: buf.readInt16BE(start + 51),
    firstSequence: buf.readInt32BE(start + 53),
    maxTimestamp: maxTimestamp.toString(),
    timestampType,
  };
  const batchContext = { ...recordContext, magicByte };
  const count = buf.readInt32BE(start + 57);
  const records: object[] = new Array(Math.max(0, count));
  const base = Number(firstOffset);
  const baseTime = Number(firstTimestamp);
  // kafkajs: LOG_APPEND_TIME records all carry the batch's max timestamp.
  const appendTime = timestampType === 1 ? recordContext.maxTimestamp : undefined;
  const r = new Reader(buf, start + HEADER, end);
  try {
    for (let i = 0; i < count; i++) {
      const length = r.varint();
      const recordEnd = r.at + length;
      if (length < 0 || recordEnd > end) throw new Malformed();
      const recordAttributes = buf.readInt8(r.at++);
      const timestampDelta = r.varlong();
      const offsetDelta = r.varint();
      const keyAt = r.span();
      const keyLength = r.lastLength;
      const valueAt = r.span();
      const valueLength = r.lastLength;
      const headerCount = r.varint();
      let headers: Headers | undefined;
      if (headerCount > 0) {
        const list: Header[] = [];
        for (let h = 0; h < headerCount; h++) list.push({ key: r.string(), value: r.bytes() });
        headers = foldHeaders(list);
      }
      if (r.at > recordEnd) throw new Malformed();
      r.at = recordEnd;
      const timestamp = baseTime + timestampDelta;
      if (!Number.isSafeInteger(timestamp)) throw new Malformed();
      records[i] = new LazyRecord(
        magicByte,
        recordAttributes,
        String(base + offsetDelta),
        appendTime ?? timestamp,
        batchContext,
        buf,
        keyAt,
        keyLength,
        valueAt,
        valueLength,
        headers,
      );
    }
  } catch (error) {
    if (error instanceof Malformed || error instanceof RangeError) return undefined;
    throw error;
  }
  decoder.forward(end - start);
  return { ...recordContext, records };
}

type Headers = Record<string, Buffer | null | (Buffer | null)[]>;

/**
 * A record as kafkajs's decoder returns it (same properties and values), holding positions in the
 * fetch response instead of its own Buffers and strings: `key`, `value`, `timestamp` and `headers`
 * are made when read. A consumer that reads only `offset` and `value` (Bronze) allocates one object
 * and one string per record instead of six, which keeps young-generation collections short.
 */
class LazyRecord {
  readonly isControlRecord = false;
  private madeHeaders: Headers | undefined;

  constructor(
    readonly magicByte: number,
    readonly attributes: number,
    readonly offset: string,
    private readonly time: number | string,
    readonly batchContext: object,
    private readonly buf: Buffer,
    private readonly keyAt: number,
    private readonly keyLength: number,
    private readonly valueAt: number,
    private readonly valueLength: number,
    headers: Headers | undefined,
  ) {
    this.madeHeaders = headers;
  }

  get timestamp(): string {
    return String(this.time);
  }

  get key(): Buffer | null {
    return this.keyLength < 0 ? null : this.buf.subarray(this.keyAt, this.keyAt + this.keyLength);
  }

  get value(): Buffer | null {
    return this.valueLength < 0 ? null : this.buf.subarray(this.valueAt, this.valueAt + this.valueLength);
  }

  get headers(): Headers {
    this.madeHeaders ??= {};
    return this.madeHeaders;
  }
}

/** kafkajs's header object: a repeated key collects its values in an array, in order. */
function foldHeaders(list: readonly Header[]): Headers {
  const out: Headers = {};
  for (const { key, value } of list) {
    const name = String(key);
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (Array.isArray(seen)) out[name] = [...seen, value];
    else out[name] = [seen, value];
  }
  return out;
}

/** Zig-zag varints as Kafka writes them in records. */
class Reader {
  constructor(
    private readonly buf: Buffer,
    public at: number,
    private readonly end: number,
  ) {}

  private byte(): number {
    if (this.at >= this.end) throw new Malformed();
    return this.buf[this.at++] ?? 0;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      if (shift > 28) throw new Malformed();
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b >= 0x80);
    return (result >>> 1) ^ -(result & 1);
  }

  /** A zig-zag varlong as a number; larger than 2^53 in magnitude is refused (kafkajs decodes those). */
  varlong(): number {
    let result = 0;
    let scale = 1;
    let b: number;
    do {
      if (scale > 2 ** 49) throw new Malformed();
      b = this.byte();
      result += (b & 0x7f) * scale;
      scale *= 128;
    } while (b >= 0x80);
    if (result > Number.MAX_SAFE_INTEGER) throw new Malformed();
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  }

  /** Length of the last `span` (-1: null). */
  lastLength = -1;

  /** Skips a length-prefixed field; returns where its bytes start (its length in `lastLength`). */
  span(): number {
    const length = this.varint();
    this.lastLength = length;
    if (length < 0) return this.at;
    if (this.at + length > this.end) throw new Malformed();
    const at = this.at;
    this.at += length;
    return at;
  }

  bytes(): Buffer | null {
    const length = this.varint();
    if (length < 0) return null;
    if (this.at + length > this.end) throw new Malformed();
    const out = this.buf.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  string(): string | null {
    const bytes = this.bytes();
    return bytes === null ? null : bytes.toString("utf8");
  }
}
