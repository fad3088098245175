import { describe, expect, it } from "vitest";
import { StrataError } from "../../../engine/errors.ts";
import { decodeToUtf8 } from "./decode.ts";
import { scanCsv } from "./records.ts";

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
