import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pl from "nodejs-polars";
import { describe, expect, it } from "vitest";
import { StrataError } from "../../../engine/errors.ts";
import { generateSalesCsv } from "../../data-gen/generate.ts";
import { uuidV7ForRow } from "./row-id.ts";
import { transformToSilver } from "./transform.ts";
import {
  type BronzeObject,
  QUARANTINE_COLUMNS,
  REJECTION_REASONS,
  SILVER_COLUMNS,
  type SilverTransformResult,
} from "./types.ts";

const SAMPLE = fileURLToPath(new URL("../../../data/sample/global_superstore_sample.csv", import.meta.url));
const sampleBytes = readFileSync(SAMPLE);
const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const INGESTED = Date.UTC(2026, 10, 25, 12, 0, 0);
const obj = (bytes: Buffer, key = "bronze/sales_csv/x.csv", ingestedAtMs = INGESTED): BronzeObject => ({
  content: bytes,
  key,
  sha256: sha(bytes),
  ingestedAtMs,
});
const run = (objects: BronzeObject[]) =>
  transformToSilver(objects, { runId: "run-1", processedAtMs: INGESTED + 5000 });
const HEADER = sampleBytes.toString("utf8").split("\n")[0] ?? "";
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("transformToSilver on the real sample", () => {
  const result = run([{ ...obj(sampleBytes), content: SAMPLE }]);
  const silver = result.silver;

  it("reads 2,743 rows and keeps them all (the sample is clean)", () => {
    expect(result.counts.rowsRead).toBe(2743);
    expect(result.counts.silverRows + result.counts.quarantineRows).toBe(2743);
    expect(result.counts.quarantineRows).toBe(0);
    expect(silver.columns).toEqual([...SILVER_COLUMNS]);
    expect(result.quarantine.columns).toEqual([...QUARANTINE_COLUMNS]);
  });

  it("matches the profile", () => {
    const byMarket = Object.fromEntries(
      silver
        .groupBy("market")
        .len()
        .toRecords()
        .map((r) => [String(r.market), Number(r.market_count ?? r.len)]),
    );
    expect(byMarket).toEqual({ APAC: 555, US: 540, EU: 536, LATAM: 531, EMEA: 296, Africa: 257, Canada: 28 });
    expect(silver.getColumn("sales").min()).toBeCloseTo(1.161);
    expect(silver.getColumn("sales").max()).toBeCloseTo(9449.95);
    expect(silver.getColumn("quantity").max()).toBe(14);
    expect(silver.getColumn("profit").min()).toBeCloseTo(-3839.9904);
    expect(silver.filter(pl.col("postal_code").isNull()).height).toBe(2203);
    expect(silver.getColumn("order_id").nUnique()).toBe(2582);
    expect(silver.filter(pl.col("category").eq(pl.lit("OFFICE SUPPLIES"))).height).toBe(1636);
    const orderDates = silver.getColumn("order_date");
    expect(orderDates.dtype.equals(pl.Date)).toBe(true);
    expect(String(silver.select(pl.col("order_date").min().dt.strftime("%Y-%m-%d")).row(0)[0])).toBe(
      "2011-01-01",
    );
    expect(silver.filter(pl.col("ship_date").lt(pl.col("order_date"))).height).toBe(0);
  });

  it("keeps non-ASCII names byte-exact and postal codes as strings", () => {
    const cities = new Set(silver.getColumn("city").toArray());
    for (const c of ["Bogotá", "Camagüey", "Balneário Camboriú", "Ciego de Ávila"])
      expect(cities.has(c)).toBe(true);
    const names = new Set(silver.getColumn("customer_name").toArray());
    expect(names.has("Anna Häberlin")).toBe(true);
    expect(new Set(silver.getColumn("state").toArray()).has("Baden-Württemberg")).toBe(true);
    expect(String(silver.getColumn("postal_code").dtype)).toBe(String(pl.String));
    // The sample's US codes that already lost their zero stay 4-character strings, not numbers.
    expect(silver.filter(pl.col("postal_code").str.lengths().eq(4)).height).toBe(22);
    expect(
      silver.filter(
        pl
          .col("product_name")
          .eq(pl.lit("Anker Ultrathin Bluetooth Wireless Keyboard Aluminum Cover with Stand ")),
      ).height,
    ).toBeGreaterThan(0);
  });

  it("derives row ids, provenance and measures", () => {
    const ids = silver.getColumn("row_id").toArray();
    expect(new Set(ids).size).toBe(2743);
    expect(ids.every((id) => typeof id === "string" && UUID_V7.test(id))).toBe(true);
    // Time part = ingestion time.
    expect(String(ids[0]).replace(/-/g, "").slice(0, 12)).toBe(INGESTED.toString(16).padStart(12, "0"));
    expect(ids[0]).toBe(uuidV7ForRow(INGESTED, sha(sampleBytes), 1));
    const first = silver.row(0);
    expect(first[SILVER_COLUMNS.indexOf("source_row_id")]).toBe(32298);
    expect(first[SILVER_COLUMNS.indexOf("unit_price")]).toBeCloseTo(2309.65 / 7);
    expect(first[SILVER_COLUMNS.indexOf("source_system")]).toBe("BATCH");
    expect(first[SILVER_COLUMNS.indexOf("source_row_number")]).toBe(1);
    expect(silver.getColumn("source_ingested_at").dtype.equals(pl.Datetime("us", "UTC"))).toBe(true);
  });

  it("is deterministic across replays (row ids and values)", () => {
    const again = run([obj(sampleBytes)]);
    expect(again.silver.getColumn("row_id").toArray()).toEqual(silver.getColumn("row_id").toArray());
    expect(again.silver.drop("processed_at").frameEqual(silver.drop("processed_at"))).toBe(true);
  });
});

describe("transformToSilver on generated data with injected errors", () => {
  it("quarantines exactly the generator's expected count per reason", () => {
    const g = generateSalesCsv({ rows: 20_000, seed: 42, errors: 0.08 });
    const csv = g.csv ?? Buffer.alloc(0);
    const r = run([obj(csv)]);
    expect(r.counts.byReason).toEqual(g.expected);
    expect(r.counts.silverRows).toBe(g.expectedSilverRows);
    expect(r.counts.rowsRead).toBe(20_000);
    for (const reason of REJECTION_REASONS) expect(g.expected[reason]).toBeGreaterThan(0);
    const malformed = r.quarantine.filter(pl.col("rejection_reason").eq(pl.lit("malformed_row")));
    expect(malformed.filter(pl.col("raw_line").isNotNull()).height).toBeGreaterThan(0);
    expect(r.quarantine.getColumn("rejection_detail").nullCount()).toBe(0);
  });

  it("gives the same exact counts when malformed rows only have wrong field counts (no-copy ragged parse)", () => {
    const g = generateSalesCsv({ rows: 10_000, seed: 9, errors: 0.1, quoteErrors: false });
    const r = run([obj(g.csv ?? Buffer.alloc(0))]);
    expect(r.counts.byReason).toEqual(g.expected);
    expect(r.counts.silverRows).toBe(g.expectedSilverRows);
    expect(r.counts.rowsRead).toBe(10_000);
    const numbers = r.silver.getColumn("source_row_number").toArray().map(Number);
    const quarantined = r.quarantine.getColumn("source_row_number").toArray().map(Number);
    expect(new Set([...numbers, ...quarantined]).size).toBe(10_000);
  });

  it("dedups across objects: tier 1 by object hash + row, tier 2 keeps the newest source", () => {
    const g = generateSalesCsv({ rows: 500, seed: 1 });
    const csv = g.csv ?? Buffer.alloc(0);
    const lines = csv.toString("utf8").trimEnd().split("\n");
    // A correction of row 1 (same order/product, other quantity) ingested later.
    const fields = (lines[1] ?? "").split(",");
    const newer = Buffer.from(`${lines[0]}\n${lines[1]?.replace(/^\d+,/, "9999,")}\n`);
    const r = run([obj(csv, "a.csv"), obj(csv, "copy.csv"), obj(newer, "b.csv", INGESTED + 1000)]);
    expect(r.counts.byReason.duplicate_row).toBe(500);
    expect(r.counts.byReason.duplicate_business_key).toBe(1);
    expect(r.counts.silverRows).toBe(500);
    const kept = r.silver.filter(
      pl
        .col("order_id")
        .eq(pl.lit(fields[1] ?? ""))
        .and(pl.col("source_row_id").eq(9999)),
    );
    expect(kept.getColumn("source_object").toArray()).toEqual(["b.csv"]);
  });
});

describe("transformToSilver reading objects in pieces", () => {
  const same = (a: SilverTransformResult, b: SilverTransformResult): void => {
    expect(b.counts).toEqual(a.counts);
    expect(b.encodings).toEqual(a.encodings);
    expect(b.silver.frameEqual(a.silver, true)).toBe(true);
    expect(b.quarantine.frameEqual(a.quarantine, true)).toBe(true);
  };
  const inPieces = (objects: BronzeObject[], pieceBytes: number) =>
    transformToSilver(objects, { runId: "run-1", processedAtMs: INGESTED + 5000, pieceBytes });

  it("gives the same outputs whatever the piece size (records cut across pieces, many rule units)", () => {
    const g = generateSalesCsv({ rows: 2500, seed: 5, errors: 0.1 });
    const csv = g.csv ?? Buffer.alloc(0);
    const crlf = Buffer.from(`\uFEFF${csv.toString("utf8").replace(/\n/g, "\r\n")}`);
    const objects = [obj(csv, "a.csv"), obj(csv, "copy.csv"), obj(crlf, "crlf.csv", INGESTED + 7)];
    const whole = run(objects);
    expect(whole.counts.byReason.duplicate_row).toBeGreaterThan(2500);
    for (const pieceBytes of [60_000, 13_333]) same(whole, inPieces(objects, pieceBytes));
  });

  it("decodes as Windows-1252 when only a late piece is not UTF-8", () => {
    const g = generateSalesCsv({ rows: 2000, seed: 3, errors: 0.05 });
    const text = (g.csv ?? Buffer.alloc(0)).toString("utf8");
    const last = text.trimEnd().split("\n").pop() ?? "";
    const latin = Buffer.from(
      `${text}${last.replace(/^\d+,/, "2001,").replace(/,[^,]*$/, ",Juárez")}\n`,
      "latin1",
    );
    const whole = run([obj(latin)]);
    expect(Object.values(whole.encodings)).toEqual(["windows-1252"]);
    const priorities = [whole.silver, whole.quarantine].flatMap((f) =>
      f.getColumn("order_priority").toArray(),
    );
    expect(priorities).toContain("Juárez");
    same(whole, inPieces([obj(latin)], 30_000));
  });
});

describe("transformToSilver on Kafka JSON Lines objects", () => {
  it("types events like CSV rows, keeps the newer source of a key and quarantines bad lines", () => {
    const csv = Buffer.from(
      "Row ID,Order ID,Order Date,Ship Date,Product ID,Sales,Quantity,Discount,Profit,City,Country\n" +
        "1,CA-1,01/02/2013,03/02/2013,P-1,10,1,0,1,Tokyo,Japan\n",
    );
    const event = (o: Record<string, unknown>) =>
      JSON.stringify({
        event_id: "e1",
        event_timestamp: "2026-11-25T12:00:00Z",
        source_system: "KAFKA",
        producer_id: "pos-7",
        order_id: "CA-1",
        order_date: "01/02/2013",
        ship_date: "2013-02-04",
        product_id: "P-1",
        sales: 12.5,
        quantity: 2,
        discount: 0,
        profit: 1.25,
        customer_name: "Anna Häberlin",
        ...o,
      });
    const jsonl = Buffer.from(`${event({})}\n{not json\n${event({ order_id: null, product_id: "P-2" })}\n`);
    const r = run([
      obj(csv, "bronze/sales_csv/a.csv"),
      {
        ...obj(jsonl, "bronze/sales_events/sales_events+0+100.jsonl", INGESTED + 60_000),
        sourceSystem: "KAFKA",
        startOffset: 100,
      },
    ]);
    expect(r.counts.rowsRead).toBe(4);
    expect(r.counts.byReason.duplicate_business_key).toBe(1);
    expect(r.counts.byReason.malformed_row).toBe(1);
    expect(r.counts.byReason.missing_order_id).toBe(1);
    const row = r.silver.toRecords()[0];
    expect(r.silver.height).toBe(1);
    expect(row).toMatchObject({
      source_system: "KAFKA",
      sales: 12.5,
      quantity: 2,
      customer_name: "Anna Häberlin",
    });
    const q = r.quarantine.filter(pl.col("rejection_reason").eq(pl.lit("missing_order_id"))).toRecords()[0];
    expect(JSON.parse(String(q?.extra_fields))).toMatchObject({ event_id: "e1", producer_id: "pos-7" });
  });
});

describe("transformToSilver input handling", () => {
  const rows = sampleBytes.toString("utf8").split("\n").slice(0, 4).join("\n");

  it("converts a Latin-1 file (Juárez survives)", () => {
    const text = `${HEADER}\n${(rows.split("\n")[1] ?? "").replace("New York City", "Ciudad Juárez")}\n`;
    const r = run([obj(Buffer.from(text, "latin1"))]);
    expect(Object.values(r.encodings)).toEqual(["windows-1252"]);
    expect(r.silver.getColumn("city").toArray()).toEqual(["Ciudad Juárez"]);
  });

  it("matches headers by normalised name in any order and keeps unknown columns in quarantine only", () => {
    const text = [
      " ORDER_ID ,product id,Sales,Quantity,Discount,Profit,order date,Ship Date,Postal Code,Category,City,Store Note",
      "CA-1,P-1,10.5,2,0,1.5,01/02/2013,2013-02-03,08701,  office   supplies ,New  York City,x",
      "CA-2,P-2,-1,2,0,1.5,01-02-2013,03/02/2013,,Furniture,Lagos,y",
    ].join("\n");
    const r = run([obj(Buffer.from(`${text}\n`))]);
    expect(r.silver.columns).toEqual([...SILVER_COLUMNS]);
    const row = r.silver.toRecords()[0];
    expect(row?.postal_code).toBe("08701");
    expect(row?.category).toBe("OFFICE SUPPLIES");
    expect(row?.city).toBe("New York City");
    expect(row?.customer_name).toBeNull();
    expect(r.silver.select(pl.col("ship_date").dt.strftime("%Y-%m-%d")).row(0)[0]).toBe("2013-02-03");
    expect(r.quarantine.toRecords()[0]).toMatchObject({
      rejection_reason: "invalid_sales",
      extra_fields: '{"store_note":"y"}',
      sales: "-1",
      order_date: "01-02-2013",
    });
  });

  it("flags outliers and impossible city/country pairs without rejecting them", () => {
    const text = [
      "Order ID,Product ID,Sales,Quantity,Discount,Profit,Order Date,Ship Date,City,Country",
      "A,P,10000.01,1,0,1,01/01/2013,01/01/2013,Tokyo,France",
      "B,P,10000,1,0,1,01/01/2013,01/01/2013,Tokyo,Japan",
    ].join("\n");
    const r = transformToSilver([obj(Buffer.from(text))], { runId: "r", salesOutlierThreshold: 10000 });
    expect(r.silver.getColumn("is_sales_outlier").toArray()).toEqual([true, false]);
    expect(r.silver.getColumn("geo_quality_flag").toArray()).toEqual(["INVALID_CITY_COUNTRY", "VALID"]);
  });

  it("refuses a file lacking a required column with a coded error", () => {
    const text = `${HEADER.replace("Order Date,", "")}\n1,2\n`;
    expect(() => run([obj(Buffer.from(text))])).toThrow(/STRATA_ERR_SILVER_MISSING_COLUMN.*order_date/);
  });

  it("turns wrong field counts and broken quoting into malformed_row per row", () => {
    const good = rows.split("\n").slice(1);
    const text = [
      HEADER,
      good[0],
      `${good[1]},extra`,
      good[2]?.replace("Consumer", 'Con"sumer'),
      good[2],
    ].join("\n");
    const r = run([obj(Buffer.from(`${text}\n`))]);
    expect(r.counts.byReason.malformed_row).toBe(2);
    expect(r.counts.rowsRead).toBe(4);
    // Row 4 repeats row 3's content, but row 3 never reached the field rules.
    expect(r.silver.getColumn("source_row_number").toArray()).toEqual([1, 4]);
    expect(r.quarantine.getColumn("source_row_number").toArray()).toEqual([2, 3]);
  });

  it("refuses a truncated file and produces nothing", () => {
    const cut = sampleBytes.subarray(0, 5000);
    try {
      run([obj(sampleBytes, "ok.csv"), obj(Buffer.from(cut), "cut.csv")]);
      expect.unreachable();
    } catch (e) {
      expect(StrataError.is(e, "STRATA_ERR_SILVER_TRUNCATED")).toBe(true);
    }
  });
});
