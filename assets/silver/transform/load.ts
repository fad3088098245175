import { readFileSync } from "node:fs";
import pl from "nodejs-polars";
import { StrataError } from "../../../engine/errors.ts";
import { type DetectedEncoding, decodeToUtf8 } from "./decode.ts";
import { type HeaderMapping, mapHeader } from "./headers.ts";
import { parseJsonLines } from "./jsonl.ts";
import { NotUtf8, TextReader, unreadableSource } from "./reader.ts";
import { type CsvChunk, CsvScanner, type MalformedRecord } from "./records.ts";
import { rowIdSeries } from "./row-id.ts";
import { type BronzeObject, SOURCE_FIELDS, type SourceField } from "./types.ts";

/**
 * Fields parsed as Categorical rather than String: dimension attributes, dates and small numbers
 * repeat across rows. A String value costs a 16-byte view per row (plus its bytes when longer than
 * 12); a Categorical one 4 bytes, its distinct strings stored once. At 100x this is most of the raw
 * frame (about 1.5 GB less), which is kept until the transform returns. The values are exactly the
 * parsed strings (NULL for an empty field, "" for a quoted empty one); the rules read them through
 * `asText` casts. Order ids, row ids and amounts are nearly unique per row and stay String.
 */
export const CATEGORICAL_FIELDS: readonly SourceField[] = SOURCE_FIELDS.filter(
  (f) => !["source_row_id", "order_id", "sales", "profit", "shipping_cost"].includes(f),
);
/** Loaded Categorical fields back to String, applied where the rules read them. */
export const asText: pl.Expr = pl.col([...CATEGORICAL_FIELDS]).cast(pl.Utf8);
const asCategorical = pl.col([...CATEGORICAL_FIELDS]).cast(pl.Categorical);

/** One Bronze object parsed into raw columns, before any rule is applied. */
export interface LoadedObject {
  /**
   * The object's rows in order, one frame per piece read (see `loadBronzeObject`), each with one
   * chunk per column: the 24 fields as raw strings (NULL when absent or empty; Categorical for
   * `CATEGORICAL_FIELDS`), `extra_fields` (JSON of unknown columns, or NULL), `source_row_number`,
   * `row_id`, `__obj` (the object's position in the batch), `__drop` (a record the pre-scan
   * rejected, parsed along in ragged mode) and `__idx` (the row's position in the whole batch).
   */
  readonly pieces: readonly pl.DataFrame[];
  readonly rows: number;
  readonly malformed: readonly MalformedRecord[];
  readonly encoding: DetectedEncoding;
  readonly rowsRead: number;
}

export interface LoadOptions {
  /** Position of the object in the batch (`__obj`). */
  readonly objIndex: number;
  /** Batch position (`__idx`) of the object's first row. */
  readonly firstIdx: number;
  /** Bytes of CSV text parsed at a time. */
  readonly pieceBytes: number;
  readonly onPhase?: (phase: string, ms: number) => void;
}

export function readBronzeBytes(content: Uint8Array | string): Buffer {
  if (typeof content !== "string") {
    return Buffer.isBuffer(content)
      ? content
      : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  }
  try {
    return readFileSync(content);
  } catch (cause) {
    throw unreadableSource(content, cause);
  }
}

/** Kafka objects are JSON Lines (§2): by explicit format, a `.jsonl` key, or source system KAFKA. */
function isJsonLines(o: BronzeObject): boolean {
  return (
    o.format === "jsonl" ||
    (o.format === undefined && (o.key.endsWith(".jsonl") || o.sourceSystem === "KAFKA"))
  );
}

function loadJsonLines(object: BronzeObject, options: LoadOptions): LoadedObject {
  const { utf8, encoding } = decodeToUtf8(readBronzeBytes(object.content), object.key);
  const parsed = parseJsonLines(utf8, object.key);
  const n = parsed.frame.height;
  const frame = parsed.frame
    .withColumns(
      pl.Series("source_row_number", parsed.rowNumbers).cast(pl.Int64),
      rowIdSeries(object.ingestedAtMs, object.sha256, n, parsed.rowNumbers),
    )
    .lazy()
    .withColumns(
      asCategorical,
      pl.lit(options.objIndex).cast(pl.Int32).alias("__obj"),
      pl.lit(false).alias("__drop"),
    )
    .withRowIndex("__idx", options.firstIdx)
    .collectSync();
  return {
    pieces: [frame],
    rows: n,
    malformed: parsed.malformed,
    encoding,
    rowsRead: n + parsed.malformed.length,
  };
}

/** Per-phase wall time summed over an object's pieces, reported once per object. */
class PhaseClock {
  readonly #totals = new Map<string, number>();
  #t = performance.now();

  lap(phase: string): void {
    const now = performance.now();
    this.#totals.set(phase, (this.#totals.get(phase) ?? 0) + now - this.#t);
    this.#t = now;
  }

  report(onPhase?: (phase: string, ms: number) => void): void {
    for (const [phase, ms] of this.#totals) onPhase?.(phase, ms);
  }
}

/**
 * Decode, pre-scan and parse one object: every column as text (inferSchemaLength 0), String or
 * Categorical (`CATEGORICAL_FIELDS`).
 *
 * A CSV object is read `pieceBytes` at a time into one reused buffer; each piece is pre-scanned and
 * parsed on its own (the record that runs past a piece's end moves to the next piece), so the whole
 * file never sits in memory next to its parsed columns. Objects are small enough to read at once
 * when they are JSON Lines.
 */
export function loadBronzeObject(object: BronzeObject, options: LoadOptions): LoadedObject {
  if (isJsonLines(object)) return loadJsonLines(object, options);
  // Read as UTF-8 first; at the first piece that is not, start over as Windows-1252 (see reader.ts).
  const utf8 = new TextReader(object.content, object.key, "utf-8");
  try {
    return loadCsv(object, utf8, options);
  } catch (e) {
    if (!(e instanceof NotUtf8)) throw e;
  } finally {
    utf8.close();
  }
  const cp1252 = new TextReader(object.content, object.key, "windows-1252");
  try {
    return loadCsv(object, cp1252, options);
  } finally {
    cp1252.close();
  }
}

function loadCsv(object: BronzeObject, reader: TextReader, options: LoadOptions): LoadedObject {
  const clock = new PhaseClock();
  const scanner = new CsvScanner(object.key);
  const pieces: pl.DataFrame[] = [];
  const malformed: MalformedRecord[] = [];
  let mapping: HeaderMapping | null = null;
  let dtypes: Record<string, pl.DataType> | null = null;
  let rows = 0;
  let rowsRead = 0;
  // w = [header line (after the first piece)][unscanned rest of the last piece][fresh text].
  let w = Buffer.allocUnsafe(Math.max(Math.min(options.pieceBytes, reader.remaining + 1), 1024));
  let start = 0;
  let end = 0;
  const grow = (): void => {
    const bigger = Buffer.allocUnsafe(w.length * 2);
    w.copy(bigger, 0, 0, end);
    w = bigger;
  };
  for (;;) {
    if (!reader.eof) {
      const filled = reader.fill(w, end);
      clock.lap("load.read+decode");
      if (filled === end && !reader.eof) {
        grow();
        continue;
      }
      end = filled;
    }
    let chunk: CsvChunk | null;
    try {
      chunk = scanner.scan(w.subarray(0, end), start, reader.eof);
      mapping ??= scanner.header ? mapHeader(scanner.header, object.key) : null;
    } catch (e) {
      // A refused header is only reported for the object's real encoding (decodeToUtf8 decides on
      // the whole object before any parsing): as UTF-8, that needs the rest to be valid UTF-8.
      if (reader.encoding !== "windows-1252" && e instanceof StrataError && !reader.restIsUtf8())
        throw new NotUtf8();
      throw e;
    }
    clock.lap("load.scan");
    if (!chunk) {
      // Not one whole record in the buffer: read on with a bigger one.
      if (reader.eof) throw new Error(`Silver pre-scan of ${object.key} stalled at the end of input.`);
      grow();
      continue;
    }
    if (mapping && (chunk.parsedRows > 0 || pieces.length === 0)) {
      dtypes ??= parseDtypes(scanner.header ?? [], mapping);
      const piece = parsePiece(
        chunk,
        mapping,
        dtypes,
        object,
        options.objIndex,
        options.firstIdx + rows,
        clock,
      );
      pieces.push(piece);
      rows += piece.height;
    }
    malformed.push(...chunk.malformed);
    rowsRead += chunk.ragged ? chunk.parsedRows : chunk.parsedRows + chunk.malformed.length;
    if (reader.eof && chunk.consumed >= end) break;
    // Keep the header line and the unscanned rest at the front of the buffer.
    const header = scanner.headerLine ?? Buffer.alloc(0);
    const rest = end - chunk.consumed;
    if (header.length + rest > w.length) grow();
    w.copyWithin(header.length, chunk.consumed, end);
    header.copy(w, 0);
    start = header.length;
    end = start + rest;
  }
  clock.report(options.onPhase);
  return { pieces, rows, malformed, encoding: reader.encoding, rowsRead };
}

/** readCSV dtypes by header name: Categorical for `CATEGORICAL_FIELDS`, String (the default) otherwise. */
function parseDtypes(header: readonly string[], mapping: HeaderMapping): Record<string, pl.DataType> {
  const categorical = new Set<string>(CATEGORICAL_FIELDS);
  const dtypes: Record<string, pl.DataType> = {};
  for (const [index, field] of mapping.known) {
    const name = header[index];
    if (name !== undefined && categorical.has(field)) dtypes[name] = pl.Categorical;
  }
  return dtypes;
}

/** Parse one pre-scanned piece into the loaded columns (see `LoadedObject.pieces`). */
function parsePiece(
  chunk: CsvChunk,
  mapping: HeaderMapping,
  dtypes: Record<string, pl.DataType>,
  object: BronzeObject,
  objIndex: number,
  firstIdx: number,
  clock: PhaseClock,
): pl.DataFrame {
  const width = mapping.known.size + mapping.extra.size;
  const parsed = pl.readCSV(chunk.csv, {
    hasHeader: true,
    inferSchemaLength: 0,
    quoteChar: '"',
    rechunk: true,
    truncateRaggedLines: chunk.ragged,
    dtypes,
  });
  clock.lap("load.readCSV");
  if (parsed.height !== chunk.parsedRows || parsed.width !== width) {
    // The pre-pass and polars disagree on the record structure: a bug, not a user error.
    throw new Error(
      `Silver pre-scan of ${object.key} found ${chunk.parsedRows} rows × ${width} columns, polars ${parsed.height} × ${parsed.width}.`,
    );
  }
  // Whole-frame operations only: each nodejs-polars Series/Expr wrapper costs ~1 ms to create, so
  // per-column alias/Series calls would dominate small objects.
  const n = parsed.height;
  const names = parsed.columns;
  const rename: Record<string, string> = {};
  for (const [index, field] of mapping.known) rename[names[index] ?? ""] = field;
  const extraNames: string[] = [];
  for (const [index, name] of mapping.extra) {
    rename[names[index] ?? ""] = `__x_${name}`;
    extraNames.push(`__x_${name}`);
  }
  // One lazy plan from the parsed columns to the piece, so that no intermediate frame is kept.
  let base = parsed.rename(rename).lazy();
  base = chunk.rowNumbers
    ? base.withColumns(pl.Series("source_row_number", chunk.rowNumbers))
    : base.withRowIndex("source_row_number", chunk.firstRow);
  clock.lap("load.columns");
  const ids = rowIdSeries(object.ingestedAtMs, object.sha256, n, chunk.rowNumbers, chunk.firstRow);
  clock.lap("load.row_id");
  base = base.withColumns(ids);
  if (extraNames.length > 0) {
    base = base.withColumns(
      pl
        .struct(extraNames.map((x) => pl.col(x).alias(x.slice(4))))
        .struct.jsonEncode()
        .alias("extra_fields"),
    );
  }
  // The final column set as SQL (no per-column Expr wrappers). In ragged mode the malformed records
  // were parsed along (see CsvChunk.ragged) and are flagged `__drop`, to be excluded by rule.
  const absent = new Set<string>(mapping.absent);
  const select = [
    ...SOURCE_FIELDS.map((f) => (absent.has(f) ? `CAST(NULL AS VARCHAR) AS ${f}` : f)),
    extraNames.length > 0 ? "extra_fields" : "CAST(NULL AS VARCHAR) AS extra_fields",
    "CAST(source_row_number AS BIGINT) AS source_row_number",
    "row_id",
    `CAST(${objIndex} AS INT) AS __obj`,
    chunk.dropRows.length > 0
      ? `source_row_number IN (${chunk.dropRows.join(", ")}) AS __drop`
      : "FALSE AS __drop",
  ];
  const frame = pl
    .SQLContext({ t: base })
    .execute(`SELECT ${select.join(", ")} FROM t`)
    // Absent fields are NULL Strings: make every piece's dtypes alike.
    .withColumns(asCategorical)
    .withRowIndex("__idx", firstIdx)
    .collectSync();
  clock.lap("load.columns");
  return frame;
}
