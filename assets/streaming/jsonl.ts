import { randomUUID } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pl from "nodejs-polars";
import { SOURCE_FIELDS } from "../silver/transform/index.ts";

/**
 * Bronze JSONL: one Kafka record value per line, in offset order, byte-for-byte as produced (no
 * parse on the way in: Bronze stays raw and ingestion costs a copy). A value that is not one line
 * (contains a newline) is stored as a JSON string literal so that line i is always offset
 * startOffset + i; Silver then rejects it as a malformed row, as it would any non-object.
 */
const NULL_LINE = Buffer.from("null");
const EMPTY_LINE = Buffer.from('""');

/**
 * A reusable output buffer for `encodeJsonLines`. A fresh multi-megabyte buffer per Bronze object
 * costs a page fault per 4 KB on first touch (measured ~1 µs per 700-byte event on this kind of VM,
 * a third of a JSON.parse); reusing one does not. Grows to the largest flush and stays there.
 */
export class LineArena {
  private buffer = Buffer.alloc(0);
  private used = 0;
  private wanted = 0;

  /** Start over: buffers taken before are overwritten from now on. */
  reset(): void {
    if (this.wanted > this.buffer.length) this.buffer = Buffer.allocUnsafe(this.wanted);
    this.used = 0;
    this.wanted = 0;
  }

  take(size: number): Buffer {
    this.wanted += size;
    if (this.used + size > this.buffer.length) return Buffer.allocUnsafe(size);
    const out = this.buffer.subarray(this.used, this.used + size);
    this.used += size;
    return out;
  }
}

/** A value as its Bronze line (without the line end). */
function lineOf(value: Buffer | null): Buffer {
  if (value === null) return NULL_LINE;
  // An empty value would be a blank line, which readers skip: store it as the JSON string "".
  if (value.length === 0) return EMPTY_LINE;
  return value.indexOf(10) >= 0 ? Buffer.from(JSON.stringify(value.toString("utf8"))) : value;
}

/** The values as JSON Lines, into `arena` when given (the bytes then live until its next reset). */
export function encodeJsonLines(values: readonly (Buffer | null)[], arena?: LineArena): Buffer {
  const lines: Buffer[] = new Array(values.length);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const line = lineOf(values[i] ?? null);
    lines[i] = line;
    size += line.length + 1;
  }
  const out = arena === undefined ? Buffer.allocUnsafe(size) : arena.take(size);
  let at = 0;
  for (const line of lines) {
    at += line.copy(out, at);
    out[at++] = 10;
  }
  return out;
}

const CHUNK = 1 << 20;

/**
 * Reused buffers for `JsonLinesBuilder` (fresh memory costs a page fault per 4 KB on first touch,
 * ~1 µs per 700-byte event here). `take` hands out the largest spare buffer, so after the first
 * objects a builder rarely has to grow (and copy) however large its object gets.
 */
export class ChunkPool {
  private readonly free: Buffer[] = [];

  /** A buffer of at least `size` bytes (and at least 1 MB). */
  take(size = CHUNK): Buffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++)
      if ((this.free[i]?.length ?? 0) > (this.free[best]?.length ?? -1)) best = i;
    const largest = this.free[best];
    if (largest !== undefined && largest.length >= size) {
      this.free.splice(best, 1);
      return largest;
    }
    return Buffer.allocUnsafe(Math.max(size, CHUNK));
  }

  give(chunks: readonly Buffer[]): void {
    for (const chunk of chunks) this.free.push(chunk);
  }
}

/**
 * JSON Lines built value by value, as records arrive, into one pooled buffer: no per-record object
 * (nor the fetch response it points into) lives until the flush. Kept, kafkajs's message objects
 * survived young-generation collections and were promoted, and the retained fetch buffers kept V8
 * collecting under "external memory pressure"; short-lived, they cost little. The text is one
 * contiguous buffer so that `view()` hands it to the object store and to Silver without a copy.
 */
export class JsonLinesBuilder {
  private buffer: Buffer | undefined;
  /** Byte length of the text after each line. */
  private readonly ends: number[] = [];
  private size = 0;

  constructor(private readonly pool: ChunkPool) {}

  get lines(): number {
    return this.ends.length;
  }

  append(value: Buffer | null): void {
    const line = lineOf(value);
    const buffer = this.room(line.length + 1);
    this.size += line.copy(buffer, this.size);
    buffer[this.size++] = 10;
    this.ends.push(this.size);
  }

  /** Keeps the first `lines` lines. */
  truncate(lines: number): void {
    if (lines >= this.ends.length) return;
    this.size = lines === 0 ? 0 : (this.ends[lines - 1] ?? 0);
    this.ends.length = lines;
  }

  /** The text as one buffer of its own (from `arena` when given). */
  toBuffer(arena?: LineArena): Buffer {
    const out = arena === undefined ? Buffer.allocUnsafe(this.size) : arena.take(this.size);
    this.buffer?.copy(out, 0, 0, this.size);
    return out;
  }

  /** The text without a copy: valid until the next append, truncate or release. */
  view(): Buffer {
    return this.buffer === undefined ? Buffer.alloc(0) : this.buffer.subarray(0, this.size);
  }

  /** Returns the buffer to the pool; the builder is empty afterwards. */
  release(): void {
    if (this.buffer !== undefined) this.pool.give([this.buffer]);
    this.buffer = undefined;
    this.ends.length = 0;
    this.size = 0;
  }

  /** The buffer, with room for `bytes` more. */
  private room(bytes: number): Buffer {
    const wanted = this.size + bytes;
    if (this.buffer !== undefined && this.buffer.length >= wanted) return this.buffer;
    const bigger = this.pool.take(Math.max(wanted, 2 * (this.buffer?.length ?? 0)));
    if (this.buffer !== undefined) {
      this.buffer.copy(bigger, 0, 0, this.size);
      this.pool.give([this.buffer]);
    }
    this.buffer = bigger;
    return bigger;
  }
}

/** The lines from index `from` on (a suffix of the object, no copy). */
export function linesFrom(bytes: Uint8Array, from: number): Buffer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  for (let i = 0; i < from && at >= 0; i++) {
    const lf = buf.indexOf(10, at);
    at = lf < 0 ? -1 : lf + 1;
  }
  return at < 0 ? Buffer.alloc(0) : buf.subarray(at);
}

/** Source header names of the CSV handed to the Silver transform: the 24 fields, then the event id. */
const SOURCE_NAMES = SOURCE_FIELDS.map((f) => (f === "source_row_id" ? "row_id" : f));
const CSV_COLUMNS = [...SOURCE_NAMES, "event_id"];
/** Every column read as a string, as the batch path reads CSV: numbers keep their JSON value as text. */
const AS_STRINGS: Record<string, pl.DataType> = Object.fromEntries(CSV_COLUMNS.map((c) => [c, pl.Utf8]));

export interface EventsAsCsv {
  /** CSV with the §1 snake_case header (the Silver transform's input format); row i = line i. */
  readonly csv: Buffer;
  /**
   * `source_row_number` (Int64, 1 = the first line) and `event_id` (String; null when absent or the
   * line is not a JSON object): joined onto the transform's Silver rows.
   */
  readonly eventIds: pl.DataFrame;
}

/**
 * JSON Lines → the CSV the batch Silver transform reads, so both sources share every rule. Fast path:
 * polars parses the lines natively against a fixed all-string schema (no per-event JS, no schema
 * inference) and writes the CSV. nodejs-polars only takes a schema when scanning a file, so the lines
 * go through a scratch file (page cache; removed at once). A line polars cannot take (not JSON, not
 * an object, blank) sends the object down the slow path, which parses line by line and turns each
 * bad line into a one-field record: the transform rejects it as malformed_row.
 */
export function eventsToCsv(lines: Buffer): EventsAsCsv {
  if (lines.length === 0) return { csv: Buffer.from(`${CSV_COLUMNS.join(",")}\n`), eventIds: idFrame([]) };
  const frame = scanLines(lines);
  if (frame === undefined || frame.height !== countLinesOf(lines)) return slowEventsToCsv(lines);
  const ids = pl
    .SQLContext({ t: frame.lazy() })
    .execute("SELECT event_id FROM t")
    .withRowIndex("source_row_number", 1)
    .collectSync();
  return {
    csv: frame.writeCSV(),
    eventIds: ids.withColumn(ids.getColumn("source_row_number").cast(pl.Int64)),
  };
}

function scanLines(lines: Buffer): pl.DataFrame | undefined {
  const path = join(tmpdir(), `strata-events-${process.pid}-${randomUUID()}.jsonl`);
  try {
    writeFileSync(path, lines);
    return pl.scanJson(path, { schema: AS_STRINGS }).collectSync();
  } catch {
    return undefined;
  } finally {
    rmSync(path, { force: true });
  }
}

function idFrame(ids: readonly (string | null)[]): pl.DataFrame {
  return pl.DataFrame([
    pl.Series(
      "source_row_number",
      ids.map((_, i) => i + 1),
      pl.Int64,
    ),
    pl.Series("event_id", [...ids], pl.Utf8),
  ]);
}

function countLinesOf(lines: Buffer): number {
  let n = 0;
  for (let at = lines.indexOf(10); at >= 0; at = lines.indexOf(10, at + 1)) n++;
  return lines.length > 0 && lines[lines.length - 1] !== 10 ? n + 1 : n;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  // Quoted like polars' writer does: "" is an empty string, nothing is null.
  return text === "" || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function slowEventsToCsv(lines: Buffer): EventsAsCsv {
  const out: string[] = [CSV_COLUMNS.join(",")];
  const eventIds: (string | null)[] = [];
  const text = lines.toString("utf8");
  const rows = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  for (const line of rows) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      const record = new Map(Object.entries(parsed));
      out.push(CSV_COLUMNS.map((c) => csvField(record.get(c))).join(","));
      const id = record.get("event_id");
      eventIds.push(typeof id === "string" ? id : null);
    } else {
      // One field where 25 are expected: the transform quarantines it as malformed_row, raw line kept.
      // Always quoted: an empty value must not become a blank line, which the scanner skips.
      out.push(`"${line.replace(/[\r\n]/g, " ").replace(/"/g, '""')}"`);
      eventIds.push(null);
    }
  }
  return { csv: Buffer.from(`${out.join("\n")}\n`, "utf8"), eventIds: idFrame(eventIds) };
}
