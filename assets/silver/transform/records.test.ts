import pl from "nodejs-polars";
import { describe, expect, it } from "vitest";
import { StrataError } from "../../../engine/errors.ts";
import { decodeToUtf8 } from "./decode.ts";
import { type CsvChunk, CsvScanner, type MalformedRecord, scanCsv } from "./records.ts";

const scan = (text: string) => scanCsv(Buffer.from(text, "utf8"), "test.csv");

describe("scanCsv (tolerant pre-pass)", () => {
  it("keeps a clean file as is, numbering rows from 1", () => {
    const s = scan('a,b,c\n1,"x, y",3\n4,"say ""hi""",6\n');
    expect(s.header).toEqual(["a", "b", "c"]);
    expect(s.goodRows).toBe(2);
    expect(s.rowNumbers).toBeNull();
    expect(s.malformed).toEqual([]);
  });

  it("rejects wrong field counts per row and keeps the rest", () => {
    const s = scan("a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n");
    expect(s.goodRows).toBe(2);
    expect(s.malformed.map((m) => [m.rowNumber, m.rawLine])).toEqual([
      [2, "4,5"],
      [3, "6,7,8,9"],
    ]);
    expect(s.malformed[0]?.detail).toMatch(/wrong field count: 2 fields, the header has 3/);
    // Quoting is intact, so polars parses the input as is (ragged) and rows 2 and 3 are dropped after.
    expect(s.ragged).toBe(true);
    expect(s.parsedRows).toBe(4);
    expect(s.dropRows).toEqual([2, 3]);
    expect(s.csv.length).toBe(Buffer.byteLength("a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n"));
  });

  it("copies only the good records when quoting is broken somewhere", () => {
    const s = scan('a,b,c\n1,2,3\n4,5\n6,x"y,8\n10,11,12\n');
    expect(s.ragged).toBe(false);
    expect([...(s.rowNumbers ?? [])]).toEqual([1, 4]);
    expect(s.csv.toString()).toBe("a,b,c\n1,2,3\n10,11,12\n");
  });

  it("rejects a quote inside an unquoted field and text after a closing quote", () => {
    const s = scan('a,b,c\n1,x"y,3\n2,"q"z,3\n3,ok,3\n');
    expect(s.malformed.map((m) => m.rowNumber)).toEqual([1, 2]);
    expect(s.malformed[0]?.detail).toMatch(/broken quoting/);
    expect(s.goodRows).toBe(1);
  });

  it("loses only the line of an unclosed quote, not the rest of the file", () => {
    const s = scan('a,b,c\n1,"never closed,3\n2,"fine, really",3\n3,x,3\n');
    expect(s.malformed.map((m) => [m.rowNumber, m.rawLine])).toEqual([[1, '1,"never closed,3']]);
    expect(s.goodRows).toBe(2);
    expect([...(s.rowNumbers ?? [])]).toEqual([2, 3]);
  });

  it("accepts a quoted field spanning lines when the record is complete", () => {
    const s = scan('a,b,c\n1,"two\nlines",3\n2,x,3\n');
    expect(s.malformed).toEqual([]);
    expect(s.goodRows).toBe(2);
  });

  it("ignores blank lines and CRLF endings", () => {
    const s = scan("a,b,c\r\n1,2,3\r\n\r\n4,5,6\r\n\n");
    expect(s.goodRows).toBe(2);
    expect(s.malformed).toEqual([]);
    expect(s.rowNumbers).toBeNull();
  });

  it("treats a short last line without a line end as truncation (coded error)", () => {
    expect(() => scan("a,b,c\n1,2,3\n4,5")).toThrow(/STRATA_ERR_SILVER_TRUNCATED/);
    expect(() => scan('a,b,c\n1,2,3\n4,"cut off')).toThrow(/STRATA_ERR_SILVER_TRUNCATED/);
    expect(() => scan("")).toThrow(/STRATA_ERR_SILVER_TRUNCATED/);
    // A complete last record without a line end is fine.
    expect(scan("a,b,c\n1,2,3").goodRows).toBe(1);
  });
});

describe("decodeToUtf8", () => {
  it("strips a UTF-8 BOM", () => {
    const d = decodeToUtf8(Buffer.from("\uFEFFa,b\n", "utf8"), "k");
    expect(d.encoding).toBe("utf-8-bom");
    expect(d.utf8.toString()).toBe("a,b\n");
  });

  it("converts Latin-1 / Windows-1252 instead of mangling it", () => {
    const d = decodeToUtf8(Buffer.from("Ciudad Juárez,Paysandú\n", "latin1"), "k");
    expect(d.encoding).toBe("windows-1252");
    expect(d.utf8.toString("utf8")).toBe("Ciudad Juárez,Paysandú\n");
    const cp = decodeToUtf8(Buffer.from([0x4a, 0x75, 0xe1, 0x72, 0x65, 0x7a, 0x20, 0x93, 0x71, 0x94]), "k");
    expect(cp.utf8.toString("utf8")).toBe("Juárez “q”");
  });

  it("refuses binary content with a coded error", () => {
    try {
      decodeToUtf8(Buffer.from([0x61, 0x00, 0x62, 0xff]), "bin");
      expect.unreachable();
    } catch (e) {
      expect(StrataError.is(e, "STRATA_ERR_SILVER_UNDECODABLE")).toBe(true);
    }
  });
});

describe("CsvScanner in pieces", () => {
  type Outcome =
    | { error: string }
    | { rows: Array<[number, ...unknown[]]>; malformed: MalformedRecord[]; rowsRead: number };

  /** Good rows as polars parses them (row number first), the malformed records, and rows read. */
  function outcome(chunks: CsvChunk[]): Outcome {
    const rows: Array<[number, ...unknown[]]> = [];
    let rowsRead = 0;
    for (const c of chunks) {
      rowsRead += c.ragged ? c.parsedRows : c.parsedRows + c.malformed.length;
      if (c.parsedRows === 0) continue;
      const df = pl.readCSV(c.csv, {
        hasHeader: true,
        inferSchemaLength: 0,
        quoteChar: '"',
        truncateRaggedLines: c.ragged,
      });
      expect(df.height).toBe(c.parsedRows);
      df.rows().forEach((values, i) => {
        const n = c.rowNumbers ? (c.rowNumbers[i] ?? 0) : c.firstRow + i;
        if (!c.dropRows.includes(n)) rows.push([n, ...values]);
      });
    }
    return { rows, malformed: chunks.flatMap((c) => c.malformed), rowsRead };
  }

  /** Feed `text` to a scanner `size` bytes at a time, the way load.ts moves the unscanned rest. */
  function inPieces(text: Buffer, size: number): Outcome {
    const scanner = new CsvScanner("t.csv");
    const chunks: CsvChunk[] = [];
    let buf = Buffer.alloc(0);
    let start = 0;
    try {
      for (let pos = 0; ; ) {
        const take = text.subarray(pos, pos + size);
        pos += take.length;
        const eof = pos >= text.length;
        buf = Buffer.concat([buf, take]);
        const c = scanner.scan(buf, start, eof);
        if (!c) continue;
        chunks.push({ ...c, csv: Buffer.from(c.csv) });
        if (eof && c.consumed >= buf.length) break;
        const header = scanner.headerLine ?? Buffer.alloc(0);
        buf = Buffer.concat([header, buf.subarray(c.consumed)]);
        start = header.length;
      }
    } catch (e) {
      return { error: String(e) };
    }
    return outcome(chunks);
  }

  function whole(text: Buffer): Outcome {
    try {
      return outcome([scanCsv(text, "t.csv")]);
    } catch (e) {
      return { error: String(e) };
    }
  }

  it("gives the same rows, rejections and errors for any piece size", () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    // Even inputs may break quoting anywhere; odd ones only get wrong field counts (ragged mode).
    const tokens = [
      "x",
      "yy",
      "",
      "7",
      '"q"',
      '"a,b"',
      '"two\nlines"',
      '"esc""aped"',
      'x"y',
      '"open',
      '"q"z',
    ];
    const ends = ["\n", "\r\n", "\n", "\n\n", "\r"];
    let compared = 0;
    for (let t = 0; t < 150; t++) {
      let text = rnd(4) === 0 ? "\n" : "";
      text += rnd(5) === 0 ? '"a","b",c\r\n' : "a,b,c\n";
      const lines = 1 + rnd(12);
      const [nTokens, nEnds] = t % 2 === 0 ? [tokens.length, ends.length] : [8, 3];
      for (let l = 0; l < lines; l++) {
        const fields = rnd(6) === 0 ? 2 + rnd(3) : 3;
        text += Array.from({ length: fields }, () => tokens[rnd(nTokens)]).join(",");
        if (l < lines - 1 || rnd(3) > 0) text += ends[rnd(nEnds)];
      }
      const bytes = Buffer.from(text);
      const expected = whole(bytes);
      for (const size of [1, 2, 3, 5, 8, 13, 31]) {
        expect(inPieces(bytes, size), `${JSON.stringify(text)} in pieces of ${size}`).toEqual(expected);
        compared++;
      }
    }
    expect(compared).toBe(150 * 7);
  });
});
