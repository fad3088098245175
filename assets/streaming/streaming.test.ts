import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pl from "nodejs-polars";
import { afterEach, describe, expect, test } from "vitest";
import { LakeDeltaTables } from "../../resources/delta/delta-tables.ts";
import { LocalObjectStore } from "../../resources/object-store/local-object-store.ts";
import { generateSalesEvents } from "./events.ts";
import { ChunkPool, encodeJsonLines, eventsToCsv, JsonLinesBuilder, LineArena, linesFrom } from "./jsonl.ts";
import { SilverKeyIndex } from "./key-index.ts";
import { bronzeEventKey, parseBronzeEventKey } from "./naming.ts";
import { firstPendingLine, nextOffset, partitionLag, resumeOffset, streamAppId } from "./offsets.ts";
import { applyEventObjects, type EventObject } from "./stream-silver.ts";

describe("Bronze object naming", () => {
  test("topic+partition+startOffset under the UTC ingestion hour, and back", () => {
    const key = bronzeEventKey(
      { topic: "sales_events", partition: 2, startOffset: 1500 },
      Date.UTC(2026, 10, 5, 7, 59),
    );
    expect(key).toBe("bronze/sales_events/year=2026/month=11/day=05/hour=07/sales_events+2+1500.jsonl");
    expect(parseBronzeEventKey(key)).toEqual({ topic: "sales_events", partition: 2, startOffset: 1500 });
    expect(parseBronzeEventKey("bronze/sales_csv/year=2026/x.csv")).toBeUndefined();
  });

  test("refuses names that would not round-trip", () => {
    expect(() => bronzeEventKey({ topic: "a/b", partition: 0, startOffset: 0 }, 0)).toThrow(/topic/);
    expect(() => bronzeEventKey({ topic: "t", partition: -1, startOffset: 0 }, 0)).toThrow(/partition/);
    expect(() => bronzeEventKey({ topic: "t", partition: 0, startOffset: 1.5 }, 0)).toThrow(/offset/);
  });
});

describe("offset ledger", () => {
  test("lines already applied by the txn version are skipped", () => {
    const range = { startOffset: 100, count: 50 };
    expect(firstPendingLine(range, undefined)).toBe(0);
    expect(firstPendingLine(range, 90)).toBe(0);
    expect(firstPendingLine(range, 120)).toBe(20);
    expect(firstPendingLine(range, 150)).toBe(50);
    expect(firstPendingLine(range, 999)).toBe(50);
    expect(nextOffset(range)).toBe(150);
  });

  test("resume from the later of the committed offset and Silver's txn; lag", () => {
    expect(resumeOffset(undefined, undefined)).toBeUndefined();
    expect(resumeOffset(10, undefined)).toBe(10);
    expect(resumeOffset(10, 25)).toBe(25);
    expect(resumeOffset(30, 25)).toBe(30);
    expect(partitionLag(100, -1, 5)).toBe(95);
    expect(partitionLag(100, 100)).toBe(0);
    expect(streamAppId("sales_events", 3)).toBe("strata/kafka/sales_events/3");
  });
});

describe("event generator", () => {
  test("the same seed gives the same events; another seed does not", () => {
    const a = generateSalesEvents(500, { seed: 7, badFraction: 0.1 });
    const b = generateSalesEvents(500, { seed: 7, badFraction: 0.1 });
    expect(b).toEqual(a);
    const c = generateSalesEvents(500, { seed: 8, badFraction: 0.1 });
    expect(c.map((e) => e.event.event_id)).not.toEqual(a.map((e) => e.event.event_id));
  });

  test("values are consistent; keys unique; the bad fraction is honoured", () => {
    const events = generateSalesEvents(5_000, { seed: 3, badFraction: 0.05 });
    const good = events.filter((e) => e.bad === undefined).map((e) => e.event);
    const bad = events.length - good.length;
    expect(bad).toBeGreaterThan(150);
    expect(bad).toBeLessThan(350);
    const keys = new Set(good.map((e) => `${e.order_id}|${e.product_id}`));
    expect(keys.size).toBe(good.length);
    expect(new Set(events.map((e) => e.event.event_id)).size).toBe(events.length);
    for (const e of good) {
      expect(e.ship_date >= e.order_date).toBe(true);
      expect(e.sales).toBeGreaterThan(0);
      expect(e.discount).toBeGreaterThanOrEqual(0);
      expect(e.discount).toBeLessThanOrEqual(1);
      expect(e.source_system).toBe("KAFKA");
      expect(Number.isNaN(Date.parse(e.event_timestamp))).toBe(false);
    }
    for (const g of events) expect(g.key).toBe(g.event.order_id ?? "");
  });
});

describe("JSONL codec", () => {
  test("one line per record; multi-line values stay one line; suffixes by line", () => {
    const bytes = encodeJsonLines([Buffer.from('{"a":1}'), null, Buffer.from("x\ny")]);
    expect(bytes.toString()).toBe('{"a":1}\nnull\n"x\\ny"\n');
    expect(linesFrom(bytes, 1).toString()).toBe('null\n"x\\ny"\n');
    expect(linesFrom(bytes, 3).length).toBe(0);
  });

  test("a lines builder gives the bytes encodeJsonLines gives, across chunk boundaries and truncations", () => {
    const pool = new ChunkPool();
    const values = Array.from({ length: 3_000 }, (_, i) =>
      i % 500 === 7 ? null : Buffer.from(i % 333 === 5 ? `a\nb${i}` : "x".repeat(i % 900) + String(i)),
    );
    values.push(Buffer.alloc(0), Buffer.from("y".repeat(2_500_000)));
    const builder = new JsonLinesBuilder(pool);
    for (const v of values) builder.append(v);
    expect(builder.lines).toBe(values.length);
    expect(builder.toBuffer().equals(encodeJsonLines(values))).toBe(true);
    builder.truncate(1_234);
    expect(builder.lines).toBe(1_234);
    expect(builder.toBuffer().equals(encodeJsonLines(values.slice(0, 1_234)))).toBe(true);
    for (const v of values.slice(1_234, 2_000)) builder.append(v);
    expect(builder.toBuffer().equals(encodeJsonLines(values.slice(0, 2_000)))).toBe(true);
    builder.release();
    expect(builder.lines).toBe(0);
    // Released chunks are handed out again.
    const again = new JsonLinesBuilder(pool);
    again.append(Buffer.from('{"a":1}'));
    expect(again.toBuffer().toString()).toBe('{"a":1}\n');
    builder.truncate(0);
    expect(builder.toBuffer().length).toBe(0);
  });

  test("an arena grows to the largest flush, then hands out the same memory after each reset", () => {
    const arena = new LineArena();
    const value = (c: string) => Buffer.from(JSON.stringify({ c: c.repeat(6_000) }));
    encodeJsonLines([value("a")], arena);
    encodeJsonLines([value("b"), null], arena);
    arena.reset(); // now holds room for both
    const a = encodeJsonLines([value("a")], arena);
    const b = encodeJsonLines([value("b"), null], arena);
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset).toBe(a.byteOffset + a.length);
    expect(a.toString()).toBe(`${value("a")}\n`);
    expect(b.toString()).toBe(`${value("b")}\nnull\n`);
    arena.reset();
    const c = encodeJsonLines([value("c")], arena);
    expect(c.buffer).toBe(a.buffer);
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(a.toString()).toBe(`${value("c")}\n`);
  });

  test("events become the transform's CSV; a broken line becomes a one-field record", () => {
    const [one, two] = generateSalesEvents(2, { seed: 1 });
    const lines = encodeJsonLines([
      Buffer.from(JSON.stringify(one?.event)),
      Buffer.from("{not json"),
      Buffer.from(JSON.stringify(two?.event)),
    ]);
    const { csv, eventIds } = eventsToCsv(lines);
    const rows = csv.toString().trimEnd().split("\n");
    expect(rows).toHaveLength(4);
    expect(rows[0]?.startsWith("row_id,order_id,order_date")).toBe(true);
    expect(rows[2]).toBe('"{not json"');
    expect(eventIds.getColumn("event_id").toArray()).toEqual([
      one?.event.event_id,
      null,
      two?.event.event_id,
    ]);
    expect(eventIds.getColumn("source_row_number").toArray()).toEqual([1, 2, 3]);
  });

  test("clean lines take polars' native reader: every field as text, same CSV as line by line", () => {
    const events = generateSalesEvents(50, { seed: 2, badFraction: 0.2 });
    const lines = encodeJsonLines(events.map((e) => Buffer.from(JSON.stringify(e.event))));
    const fast = eventsToCsv(lines);
    // A broken line at the end sends the same events down the line-by-line path.
    const slow = eventsToCsv(Buffer.concat([lines, Buffer.from("{broken\n")]));
    const rows = (csv: Buffer) => csv.toString().trimEnd().split("\n");
    expect(rows(fast.csv)).toHaveLength(51);
    expect(rows(slow.csv).slice(0, 51)).toEqual(rows(fast.csv));
    expect(fast.eventIds.getColumn("event_id").toArray()).toEqual(events.map((e) => e.event.event_id));
    expect(fast.eventIds.getColumn("source_row_number").dtype).toEqual(pl.Int64);
  });
});

describe("exactly-once Silver merge", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function setup() {
    const dir = mkdtempSync(join(tmpdir(), "strata-stream-"));
    dirs.push(dir);
    const lake = new LocalObjectStore(dir);
    return { lake, tables: new LakeDeltaTables(lake) };
  }

  const objectOf = (
    values: readonly string[],
    partition: number,
    startOffset: number,
    at: number,
  ): EventObject => ({
    key: bronzeEventKey({ topic: "sales_events", partition, startOffset }, at),
    topic: "sales_events",
    partition,
    startOffset,
    count: values.length,
    ingestedAtMs: at,
    bytes: encodeJsonLines(values.map((v) => Buffer.from(v))),
  });
  const options = (load: (k: string) => Promise<Uint8Array>) => ({
    runId: "test",
    nowMs: Date.UTC(2026, 0, 1),
    dateFormats: ["%d/%m/%Y"],
    salesOutlierThreshold: 10_000,
    load,
  });

  test.each([
    ["merge only", false],
    ["key index (append new keys)", true],
  ])(
    "%s: replays and overlapping redeliveries never duplicate; rejects go to quarantine once",
    async (_label, indexed) => {
      const { lake, tables } = setup();
      const events = generateSalesEvents(300, { seed: 11, badFraction: 0.05 });
      const values = events.map((e) => JSON.stringify(e.event));
      const bad = events.filter((e) => e.bad !== undefined).length;
      const at = Date.UTC(2026, 0, 1, 10);
      const first = objectOf(values.slice(0, 200), 0, 0, at);
      const o = { ...options((k) => lake.get(k)), ...(indexed && { keys: new SilverKeyIndex(lake) }) };
      const a = await applyEventObjects(tables, [first], o);
      expect(a.rowsRead).toBe(200);
      // Replay of the same object: nothing new.
      const again = await applyEventObjects(tables, [first], o);
      expect(again.rowsRead).toBe(0);
      expect(again.alreadyApplied).toBe(200);
      // A redelivery after a crash, cut differently: offsets 150..299, of which 150..199 are in already.
      const overlap = objectOf(values.slice(150), 0, 150, at + 1000);
      const b = await applyEventObjects(tables, [overlap], o);
      expect(b.rowsRead).toBe(100);
      expect(b.alreadyApplied).toBe(50);
      const silver = await tables.table("silver/sales").read();
      const quarantine = await tables.table("silver/sales_quarantine").read();
      expect(silver.height).toBe(300 - bad);
      expect(quarantine.height).toBe(bad);
      const ids: unknown[] = silver.getColumn("event_id").toArray();
      expect(new Set(ids).size).toBe(300 - bad);
      const expected = new Set(events.filter((e) => e.bad === undefined).map((e) => e.event.event_id));
      for (const id of ids) expect(typeof id === "string" && expected.has(id)).toBe(true);
      expect((await tables.table("silver/sales").snapshot()).txnVersion(streamAppId("sales_events", 0))).toBe(
        300,
      );
    },
  );

  test("partitions keep separate ledgers", async () => {
    const { lake, tables } = setup();
    const events = generateSalesEvents(60, { seed: 12 }).map((e) => JSON.stringify(e.event));
    const at = Date.UTC(2026, 0, 1, 10);
    const o = options((k) => lake.get(k));
    await applyEventObjects(
      tables,
      [objectOf(events.slice(0, 30), 0, 0, at), objectOf(events.slice(30), 1, 0, at)],
      o,
    );
    const snapshot = await tables.table("silver/sales").snapshot();
    expect(snapshot.txnVersion(streamAppId("sales_events", 0))).toBe(30);
    expect(snapshot.txnVersion(streamAppId("sales_events", 1))).toBe(30);
    expect((await tables.table("silver/sales").read()).height).toBe(60);
  });
});
