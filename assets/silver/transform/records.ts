import { StrataError } from "../../../engine/errors.ts";

/**
 * Tolerant pre-pass over a CSV object, before the (strict, fast) polars parser sees it.
 *
 * Polars' CSV reader fails the whole file on one broken record ("CSV malformed") and silently pads
 * short rows with NULLs, so neither a wrong field count nor broken quoting could become a per-row
 * rejection. This pass walks the bytes once with an RFC 4180 state machine, counts fields per record,
 * and splits the object into good records (handed to polars) and malformed ones (kept as raw text).
 *
 * Rules:
 * - A record ends at LF outside quotes; CR before LF is allowed. Blank lines are ignored (no row number).
 * - A quote opens only at the start of a field; `""` inside quotes is an escaped quote. A quote inside
 *   an unquoted field, or anything but `,`/line end after a closing quote, is broken quoting.
 * - A quoted field may span lines (at most MAX_LINES_IN_QUOTE). If such a multi-line record turns out
 *   broken or has the wrong field count, only its first physical line is rejected and scanning resumes
 *   on the next line: an unmatched quote then costs one row, not the rest of the file.
 * - The object is truncated (coded error, nothing produced) when it ends without a line terminator in
 *   the middle of a record: inside an open quote, or on a short last line.
 * Row numbers count data records from 1 (header excluded), malformed ones included.
 */

const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;
const MAX_LINES_IN_QUOTE = 16;

export interface MalformedRecord {
  readonly rowNumber: number;
  readonly rawLine: string;
  readonly detail: string;
}

/** One scanned piece of an object: what polars should parse, and what it leaves to the next piece. */
export interface CsvChunk {
  /**
   * What polars should parse: the header line plus this piece's good records, or, in `ragged` mode, the
   * piece itself (no copy) with the malformed records left in, to be dropped by `dropRows` after parsing.
   */
  readonly csv: Buffer;
  readonly goodRows: number;
  /** Rows polars will produce from `csv`. */
  readonly parsedRows: number;
  /**
   * True when every malformed record only has a wrong field count (quoting intact, no blank lines):
   * then polars parses the input as is with truncateRaggedLines, saving a copy of the piece.
   */
  readonly ragged: boolean;
  /** In ragged mode: the row numbers to drop after parsing (parsed rows are numbered from `firstRow`). */
  readonly dropRows: readonly number[];
  /** Row number of the piece's first record. */
  readonly firstRow: number;
  /** Source row number of each good record, or null when they are simply firstRow, firstRow + 1, … */
  readonly rowNumbers: Int32Array | null;
  readonly malformed: readonly MalformedRecord[];
  /**
   * Offset in the scanned buffer where the next piece must resume: the start of a record that did not
   * end inside the buffer (before end of input), else the buffer's length.
   */
  readonly consumed: number;
}

/** A whole object scanned as one piece (see `scanCsv`). */
export interface ScannedCsv extends CsvChunk {
  /** Header field values, unquoted. */
  readonly header: readonly string[];
}

interface RecordScan {
  /** Index of the terminating LF, or buf.length at end of input. */
  end: number;
  fields: number;
  broken: boolean;
  openQuote: boolean;
  /** First LF inside a quoted field, or -1 when the record is one physical line. */
  firstLineEnd: number;
}

/**
 * Scan one record from `start`. The hot loop only classifies bytes above ',' (almost all of them) with
 * one comparison; a quoted field is skipped with `indexOf` (memchr) to its closing quote. This runs
 * about 4× faster than a byte-by-byte state machine (measured 0.16 s against 0.6 s for 121 MB).
 */
function scanRecord(buf: Buffer, start: number): RecordScan {
  const n = buf.length;
  let i = start;
  let fields = 1;
  let broken = false;
  let firstLineEnd = -1;
  while (i < n) {
    const c = buf[i] ?? 0;
    if (c > COMMA) {
      i++;
      continue;
    }
    if (c === COMMA) {
      fields++;
      i++;
      continue;
    }
    if (c === LF) break;
    if (c === QUOTE) {
      if (i !== start && buf[i - 1] !== COMMA) {
        // A quote inside an unquoted field.
        broken = true;
        i++;
        continue;
      }
      let close = buf.indexOf(QUOTE, i + 1);
      while (close >= 0 && buf[close + 1] === QUOTE) close = buf.indexOf(QUOTE, close + 2);
      const stop = close < 0 ? n : close;
      let lf = buf.indexOf(LF, i + 1);
      if (lf >= 0 && lf < stop) {
        if (firstLineEnd < 0) firstLineEnd = lf;
        for (let lines = 1; lf >= 0 && lf < stop; lines++) {
          if (lines > MAX_LINES_IN_QUOTE)
            return { end: lf, fields, broken: true, openQuote: true, firstLineEnd };
          lf = buf.indexOf(LF, lf + 1);
        }
      }
      if (close < 0) return { end: n, fields, broken, openQuote: true, firstLineEnd };
      i = close + 1;
      const next = buf[i];
      if (next !== undefined && next !== COMMA && next !== LF && !(next === CR && buf[i + 1] === LF))
        broken = true;
      continue;
    }
    if (c === CR && buf[i + 1] !== LF) broken = true;
    i++;
  }
  return { end: i, fields, broken, openQuote: false, firstLineEnd };
}

/** Split one header line into unquoted field values. */
function parseHeader(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inQuote = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inQuote) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') inQuote = false;
      else cur += ch;
    } else if (ch === '"') inQuote = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function lineText(buf: Buffer, start: number, end: number): string {
  const stop = end > start && buf[end - 1] === CR ? end - 1 : end;
  return buf.toString("utf8", start, stop);
}

function truncated(objectKey: string, why: string): StrataError {
  return new StrataError(
    "STRATA_ERR_SILVER_TRUNCATED",
    `Bronze object ${JSON.stringify(objectKey)} is truncated or empty: ${why}.`,
    { objectKey },
  );
}

/**
 * The pre-pass over an object read in pieces. `scan` is called with consecutive pieces; a piece ends
 * wherever the caller's buffer ends, and the scan stops before the first record that does not end
 * inside it (unless the input ends there), so every record is judged on its complete bytes, exactly
 * as if the object were one buffer. Row numbers run on across pieces.
 */
export class CsvScanner {
  #header: string[] | null = null;
  #headerLine: Buffer | null = null;
  #expected = 0;
  #rowNumber = 0;

  constructor(private readonly objectKey: string) {}

  /** Header field values, unquoted (null before the first piece was scanned). */
  get header(): readonly string[] | null {
    return this.#header;
  }

  /** The header line's bytes (with its line end): the prefix of every later piece's buffer. */
  get headerLine(): Buffer | null {
    return this.#headerLine;
  }

  /**
   * Scan `buf` from `start`. On the first call `start` is 0 and the header is read first; on later
   * calls `buf[0, start)` must be `headerLine`. `eof` says the input ends with `buf`. Returns null when
   * not even one line (or, first, the header) ends inside `buf` and the input goes on: the caller must
   * pass a bigger piece.
   */
  scan(buf: Buffer, start: number, eof: boolean): CsvChunk | null {
    const objectKey = this.objectKey;
    const n = buf.length;
    let pos = start;
    let dataStart = start;
    if (this.#header === null) {
      // Leading blank lines before the header are tolerated.
      while (pos < n && (buf[pos] === LF || buf[pos] === CR)) pos++;
      if (pos >= n) {
        if (!eof) return null;
        throw truncated(objectKey, "it has no header line");
      }
      const head = scanRecord(buf, pos);
      if (!eof && head.end >= n) return null;
      if (head.openQuote || head.broken) {
        throw new StrataError(
          "STRATA_ERR_SILVER_MISSING_COLUMN",
          `The header of ${JSON.stringify(objectKey)} has broken quoting.`,
          {
            objectKey,
          },
        );
      }
      this.#header = parseHeader(lineText(buf, pos, head.end));
      this.#expected = head.fields;
      dataStart = Math.min(head.end + 1, n);
      this.#headerLine = Buffer.from(buf.subarray(pos, dataStart));
      pos = dataStart;
    }
    const expected = this.#expected;
    const firstRow = this.#rowNumber + 1;

    const malformed: MalformedRecord[] = [];
    const laterNumbers: number[] = [];
    const runs: Array<[number, number]> = [];
    let runStart = -1;
    let runEnd = -1;
    let rowNumber = this.#rowNumber;
    let goodRows = 0;
    let goodBeforeFirstMalformed = 0;

    const closeRun = (): void => {
      if (runStart >= 0) runs.push([runStart, runEnd]);
      runStart = -1;
    };
    let quoteTrouble = false;
    let pendingBlank = false;
    let blankInside = false;
    let lastRecordEnd = dataStart;
    const reject = (from: number, to: number, detail: string): void => {
      closeRun();
      if (malformed.length === 0) goodBeforeFirstMalformed = goodRows;
      malformed.push({ rowNumber, rawLine: lineText(buf, from, to), detail });
    };

    while (pos < n) {
      const c0 = buf[pos];
      if (c0 === LF || (c0 === CR && buf[pos + 1] === LF)) {
        closeRun();
        pendingBlank = true;
        pos += c0 === LF ? 1 : 2;
        continue;
      }
      const rec = scanRecord(buf, pos);
      // A record running to the end of the piece may go on in the next one: resume there.
      if (!eof && rec.end >= n) break;
      if (pendingBlank) blankInside = true;
      pendingBlank = false;
      const atEof = rec.end >= n;
      rowNumber++;
      if (rec.openQuote && rec.firstLineEnd < 0) {
        if (atEof)
          throw truncated(objectKey, `row ${rowNumber} ends inside a quoted field without a line end`);
      }
      const bad = rec.openQuote || rec.broken || rec.fields !== expected;
      if (bad && rec.firstLineEnd >= 0) {
        // A quote left open swallowed following lines: reject only the first line, rescan the rest.
        quoteTrouble = true;
        reject(pos, rec.firstLineEnd, "broken quoting: a quoted field is not closed on this line");
        pos = rec.firstLineEnd + 1;
        continue;
      }
      lastRecordEnd = Math.min(rec.end + 1, n);
      if (bad) {
        if (rec.broken || rec.openQuote) quoteTrouble = true;
        if (atEof && !rec.broken && rec.fields < expected) {
          throw truncated(
            objectKey,
            `the last row (${rowNumber}) has ${rec.fields} of ${expected} fields and no line end`,
          );
        }
        reject(
          pos,
          rec.end,
          rec.broken || rec.openQuote
            ? "broken quoting: a quote inside an unquoted field or text after a closing quote"
            : `wrong field count: ${rec.fields} fields, the header has ${expected}`,
        );
      } else {
        if (runStart < 0) runStart = pos;
        runEnd = Math.min(rec.end + 1, n);
        goodRows++;
        if (malformed.length > 0) laterNumbers.push(rowNumber);
      }
      pos = rec.end + 1;
    }
    closeRun();
    const consumed = Math.min(pos, n);
    if (!eof && consumed === dataStart && dataStart === start) return null;
    this.#rowNumber = rowNumber;
    const records = rowNumber - firstRow + 1;

    if (malformed.length > 0 && !quoteTrouble && !blankInside) {
      return {
        csv: buf.subarray(0, lastRecordEnd),
        goodRows,
        parsedRows: records,
        ragged: true,
        dropRows: malformed.map((m) => m.rowNumber),
        firstRow,
        rowNumbers: null,
        malformed,
        consumed,
      };
    }
    let csv: Buffer;
    const only = runs[0];
    if (runs.length === 0) csv = buf.subarray(0, dataStart);
    else if (runs.length === 1 && only && only[0] === dataStart) csv = buf.subarray(0, only[1]);
    else {
      const parts = [buf.subarray(0, dataStart)];
      for (const [s, e] of runs) {
        parts.push(buf.subarray(s, e));
        // A run ending at EOF without LF must not glue onto the next run.
        if (buf[e - 1] !== LF) parts.push(Buffer.from("\n"));
      }
      csv = Buffer.concat(parts);
    }
    if (csv.length > 0 && csv[csv.length - 1] !== LF && dataStart >= n)
      csv = Buffer.concat([csv, Buffer.from("\n")]);

    let rowNumbers: Int32Array | null = null;
    if (malformed.length > 0) {
      rowNumbers = new Int32Array(goodRows);
      for (let k = 0; k < goodBeforeFirstMalformed; k++) rowNumbers[k] = firstRow + k;
      for (let k = 0; k < laterNumbers.length; k++)
        rowNumbers[goodBeforeFirstMalformed + k] = laterNumbers[k] ?? 0;
    }
    return {
      csv,
      goodRows,
      parsedRows: goodRows,
      ragged: false,
      dropRows: [],
      firstRow,
      rowNumbers,
      malformed,
      consumed,
    };
  }
}

/** Scan a whole object as one piece. */
export function scanCsv(buf: Buffer, objectKey: string): ScannedCsv {
  const scanner = new CsvScanner(objectKey);
  const chunk = scanner.scan(buf, 0, true);
  const header = scanner.header;
  // With eof the scan never asks for more input.
  if (!chunk || !header) throw new Error(`Silver pre-scan of ${objectKey} produced no result.`);
  return { ...chunk, header };
}
