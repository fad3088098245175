/**
 * A kafkajs socket that reads each broker response straight into a reused buffer and hands it to
 * kafkajs whole (one `data` event per response), for the streaming consumer's client only.
 *
 * Why: by default every 64 KB read is a fresh Buffer and kafkajs joins a response's reads into
 * another fresh one (`Buffer.concat`). For a 4 MB fetch that is ~8 MB of new memory per fetch:
 * ~1,000 page faults for the join alone, and enough external memory to keep V8 collecting
 * ("external memory pressure"). Measured on the streaming bench: ~0.3-0.4 µs of CPU per 700-byte
 * event, a tenth of a `JSON.parse` of it.
 *
 * The catch, and why it is opt-in: a Fetch response's buffer (and so every message key and value
 * kafkajs decodes from it, which are views into it) is reused once the connection has sent two more
 * Fetch requests. kafkajs fetches from a broker one request at a time and sends the next only after
 * `eachBatch` returned for every batch of the previous one, so a consumer that copies what it keeps
 * before returning (the Bronze ingestor does) never sees a reused buffer; the second request of
 * margin covers one fetch overlapping another. Responses to other requests are copied out, so they
 * stay valid as usual.
 */
import { createRequire } from "node:module";
import net from "node:net";
import tls from "node:tls";
import type { ISocketFactoryArgs } from "kafkajs";

/** Kafka's Fetch API key (request header: int32 size, int16 api key, int16 version, int32 correlation id). */
const FETCH_API_KEY = 1;
const REQUEST_HEADER = 12;
const SIZE_PREFIX = 4;
const FIRST_FRAME = 64 * 1024;
const KEEP_ALIVE_DELAY_MS = 60_000;

/**
 * Cuts the byte stream of one connection into responses: reads go straight into the current
 * response's buffer (its size prefix first, then never past its end), and each whole response is
 * emitted as one `data` event. Requests written are watched for Fetch requests, which free the
 * buffers of older Fetch responses.
 */
class ResponseFramer {
  /** Correlation ids of Fetch requests sent and not answered yet. */
  private readonly fetches = new Set<number>();
  /** Buffers free for the next response. */
  private readonly spare: Buffer[] = [];
  /** Buffers of Fetch responses delivered since the last Fetch request, and before it. */
  private lent: Buffer[] = [];
  private lentBefore: Buffer[] = [];
  private frame: Buffer = Buffer.allocUnsafe(FIRST_FRAME);
  private filled = 0;
  /** Bytes of the current response read so far must reach this (its size prefix, then all of it). */
  private need = SIZE_PREFIX;

  constructor(private readonly deliver: (response: Buffer) => void) {}

  /** Where the next read goes: the rest of the current response, never past it. */
  readonly nextBuffer = (): Uint8Array => this.frame.subarray(this.filled, this.need);

  readonly onRead = (bytes: number): boolean => {
    this.filled += bytes;
    if (this.filled < this.need) return true;
    if (this.need === SIZE_PREFIX) {
      this.need = SIZE_PREFIX + Math.max(0, this.frame.readInt32BE(0));
      if (this.frame.length < this.need) {
        const bigger = this.spareOf(this.need);
        this.frame.copy(bigger, 0, 0, SIZE_PREFIX);
        this.spare.push(this.frame);
        this.frame = bigger;
      }
      if (this.filled < this.need) return true;
    }
    const whole = this.frame.subarray(0, this.need);
    let response: Buffer;
    if (this.need >= SIZE_PREFIX + 4 && this.fetches.delete(whole.readInt32BE(SIZE_PREFIX))) {
      response = whole;
      this.lent.push(this.frame);
      this.frame = this.spareOf(FIRST_FRAME);
    } else {
      // Not a Fetch response: a copy, valid as long as its reader keeps it.
      response = Buffer.from(whole);
    }
    this.filled = 0;
    this.need = SIZE_PREFIX;
    this.deliver(response);
    return true;
  };

  noteRequest(chunk: unknown): void {
    if (!Buffer.isBuffer(chunk) || chunk.length < REQUEST_HEADER) return;
    if (chunk.readInt16BE(4) !== FETCH_API_KEY) return;
    this.fetches.add(chunk.readInt32BE(8));
    // Responses delivered before the previous Fetch request were consumed before it was sent.
    this.spare.push(...this.lentBefore);
    this.lentBefore = this.lent;
    this.lent = [];
  }

  /** A spare buffer of at least `size` bytes, or a new one. */
  private spareOf(size: number): Buffer {
    const at = this.spare.findIndex((b) => b.length >= size);
    const [found] = at < 0 ? [] : this.spare.splice(at, 1);
    return found ?? Buffer.allocUnsafe(size);
  }
}

/** kafkajs's own socket for TLS, which this factory leaves alone. */
function tlsSocket({ host, port, ssl, onConnect }: SocketArgs): net.Socket {
  const socket = tls.connect(
    { host, port, ...(net.isIP(host) ? {} : { servername: host }), ...(typeof ssl === "object" ? ssl : {}) },
    onConnect,
  );
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
  return socket;
}

const CONNECTION = "kafkajs/src/network/connection.js";
const require = createRequire(import.meta.url);
const patched = new WeakSet<object>();
const isMethod = (value: unknown): value is (this: unknown, ...args: unknown[]) => unknown =>
  typeof value === "function";

/**
 * kafkajs joins a response's reads with `Buffer.concat`, and after each response keeps an empty
 * remainder as the first read of the next: a response that arrives in one read (always, from this
 * socket) is then copied anyway. Dropping that empty remainder first changes no byte that kafkajs
 * sees, and lets a whole response through without a copy. Returns false when kafkajs's internals
 * are not where 2.2.4 keeps them (then responses are copied, as before).
 */
function skipEmptyRemainders(): boolean {
  let connection: unknown;
  try {
    connection = require(CONNECTION);
  } catch {
    return false;
  }
  if (typeof connection !== "function") return false;
  const proto: unknown = connection.prototype;
  if (typeof proto !== "object" || proto === null) return false;
  if (patched.has(proto)) return true;
  const original: unknown = Reflect.get(proto, "processData");
  if (!isMethod(original)) return false;
  const originalProcessData = original;
  function processData(this: unknown, data: unknown): unknown {
    if (typeof this === "object" && this !== null) {
      const chunks: unknown = Reflect.get(this, "chunks");
      if (
        Array.isArray(chunks) &&
        chunks.length === 1 &&
        Buffer.isBuffer(chunks[0]) &&
        chunks[0].length === 0
      )
        Reflect.set(this, "chunks", []);
    }
    return Reflect.apply(originalProcessData, this, [data]);
  }
  Reflect.set(proto, "processData", processData);
  patched.add(proto);
  return true;
}

/** What kafkajs hands a socket factory; `ssl` is null without TLS (its typings omit that case). */
export interface SocketArgs extends Omit<ISocketFactoryArgs, "ssl"> {
  readonly ssl: ISocketFactoryArgs["ssl"] | boolean | null | undefined;
}

/** The socket factory for a kafkajs client whose fetched messages are consumed before `eachBatch` returns. */
export function framedSocketFactory(): (args: SocketArgs) => net.Socket {
  skipEmptyRemainders();
  return (args) => {
    const { host, port, ssl, onConnect } = args;
    // kafkajs passes its `ssl` option through (undefined, or true/options for TLS).
    if (ssl) return tlsSocket(args);
    let socket: net.Socket | undefined;
    const framer = new ResponseFramer((response) => socket?.emit("data", response));
    socket = net.connect(
      { host, port, onread: { buffer: framer.nextBuffer, callback: framer.onRead } },
      onConnect,
    );
    // kafkajs writes each request as one Buffer; corked writes arrive together in _writev.
    const write = socket._write;
    const writev = socket._writev;
    const own = socket;
    socket._write = (chunk: unknown, encoding, callback) => {
      framer.noteRequest(chunk);
      Reflect.apply(write, own, [chunk, encoding, callback]);
    };
    if (writev !== undefined)
      socket._writev = (chunks, callback) => {
        for (const { chunk } of chunks) framer.noteRequest(chunk);
        Reflect.apply(writev, own, [chunks, callback]);
      };
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    return socket;
  };
}
