import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { StrataError } from "../../engine/errors.ts";
import { REJECTION_REASONS, type RejectionReason } from "../silver/transform/types.ts";
import { csvField, injectError } from "./inject.ts";
import { type Rng, rng } from "./rng.ts";
import { HEADER, loadVocabulary, type Place, type Vocabulary } from "./vocab.ts";

/** 1x = the size of the full Global Superstore file. */
export const ROWS_1X = 51_290;

export interface GenerateSalesCsvOptions {
  /** Records to write (header excluded), injected bad rows included. */
  readonly rows: number;
  readonly seed: number;
  /** Fraction of rows (0..1) that are injected errors, spread evenly over the ten §3 kinds. Default 0. */
  readonly errors?: number;
  /** Write here (directories created); without it the CSV is returned in `csv`. */
  readonly outPath?: string;
  /**
   * Whether malformed rows may have broken quoting (a quote inside an unquoted field, an unclosed
   * quote). Default true. Benchmarks against DuckDB turn it off: DuckDB's reader accepts the first and
   * lets the second swallow the next line, so the engines would disagree on those rows by design.
   */
  readonly quoteErrors?: boolean;
  /** Vocabulary source; defaults to the repo's real sample. */
  readonly samplePath?: string;
}

export interface GeneratedSalesCsv {
  readonly rows: number;
  readonly bytes: number;
  /** Quarantine rows the Silver transform must produce, per rejection reason. */
  readonly expected: Readonly<Record<RejectionReason, number>>;
  /** Rows the Silver transform must keep. */
  readonly expectedSilverRows: number;
  readonly path?: string;
  readonly csv?: Buffer;
}

const SHIP_MODES: ReadonlyArray<readonly [string, number, number, number]> = [
  // mode, weight, min ship days, max ship days
  ["Standard Class", 58, 4, 7],
  ["Second Class", 21, 2, 5],
  ["First Class", 15, 1, 3],
  ["Same Day", 6, 0, 0],
];
const PRIORITIES: ReadonlyArray<readonly [string, number]> = [
  ["Medium", 56],
  ["High", 30],
  ["Critical", 9],
  ["Low", 5],
];
const DAY_MS = 86_400_000;
const ORDER_DAY0 = Date.UTC(2011, 0, 1) / DAY_MS;
const ORDER_DAYS = 1461; // 2011-01-01 .. 2014-12-31

function weighted<T>(
  r: Rng,
  items: ReadonlyArray<readonly [T, number, ...unknown[]]>,
): readonly [T, number, ...unknown[]] {
  const total = items.reduce((s, it) => s + it[1], 0);
  let x = r.next() * total;
  for (const it of items) {
    x -= it[1];
    if (x < 0) return it;
  }
  const last = items[items.length - 1];
  if (!last) throw new Error("weighted() needs items");
  return last;
}

function pick<T>(r: Rng, items: readonly T[]): T {
  const v = items[r.int(items.length)];
  if (v === undefined) throw new Error("pick() needs items");
  return v;
}

/** `dd/mm/yyyy` for a day number (days since epoch), as the source writes dates. */
export function formatDay(day: number): string {
  const d = new Date(day * DAY_MS);
  const dd = String(d.getUTCDate()).padStart(2, "0");
  const mm = String(d.getUTCMonth() + 1).padStart(2, "0");
  return `${dd}/${mm}/${d.getUTCFullYear()}`;
}

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

interface OrderState {
  id: string;
  place: Place;
  customerId: string;
  customerName: string;
  segment: string;
  orderDay: number;
  shipDay: number;
  shipMode: string;
  priority: string;
  linesLeft: number;
  products: Set<string>;
}

/** Makes valid, mutually consistent source rows (24 raw fields each). */
class CleanRows {
  private order: OrderState | null = null;
  private orderCounter = 100_000;
  constructor(
    private readonly r: Rng,
    private readonly v: Vocabulary,
  ) {}

  next(rowId: number): string[] {
    const r = this.r;
    const o = this.order && this.order.linesLeft > 0 ? this.order : this.newOrder();
    o.linesLeft--;
    let product = pick(r, this.v.products);
    while (o.products.has(product.id)) product = pick(r, this.v.products);
    o.products.add(product.id);
    const quantity = 1 + Math.min(13, Math.floor(-Math.log(1 - r.next()) * 3.2));
    const discounts = this.v.discountsByMarket.get(o.place.market) ?? [0];
    const discount = r.next() < 0.55 ? 0 : pick(r, discounts);
    const sales = Math.max(
      0.1,
      round(product.listPrice * (0.9 + r.next() * 0.2) * quantity * (1 - discount), 3),
    );
    const margin = 0.35 - discount * 0.9 + (r.next() - 0.5) * 0.3;
    const profit = round(sales * margin, 4);
    const shippingCost = Math.max(0.01, round(sales * (0.02 + r.next() * 0.12), 2));
    return [
      String(rowId),
      o.id,
      formatDay(o.orderDay),
      formatDay(o.shipDay),
      o.shipMode,
      o.customerId,
      o.customerName,
      o.segment,
      o.place.city,
      o.place.state,
      o.place.country,
      o.place.postalCode,
      o.place.market,
      o.place.region,
      product.id,
      product.category,
      product.subCategory,
      product.name,
      String(sales),
      String(quantity),
      String(discount),
      String(profit),
      String(shippingCost),
      o.priority,
    ];
  }

  private newOrder(): OrderState {
    const r = this.r;
    const place = pick(r, this.v.places);
    const customer = pick(r, this.v.customers);
    // sqrt skews towards later years, as the business grows in the source (486/600/725/932 per year).
    const orderDay = ORDER_DAY0 + Math.floor(ORDER_DAYS * Math.sqrt(r.next()));
    const [shipMode, , minDays, maxDays] = weighted(r, SHIP_MODES);
    const lo = typeof minDays === "number" ? minDays : 0;
    const hi = typeof maxDays === "number" ? maxDays : lo;
    const year = new Date(orderDay * DAY_MS).getUTCFullYear();
    this.order = {
      id: `${place.orderPrefix}-${year}-${++this.orderCounter}`,
      place,
      customerId: customer.id,
      customerName: customer.name,
      segment: customer.segment,
      orderDay,
      shipDay: orderDay + lo + r.int(hi - lo + 1),
      shipMode,
      priority: weighted(r, PRIORITIES)[0],
      linesLeft: 1 + Math.floor(r.next() * r.next() * 5),
      products: new Set<string>(),
    };
    return this.order;
  }
}

/** Kind per row: 0 = clean, k = 1 + index into REJECTION_REASONS; exact counts, seeded positions. */
function plan(
  r: Rng,
  rows: number,
  fraction: number,
): { kinds: Uint8Array; expected: Record<RejectionReason, number> } {
  const kinds = new Uint8Array(rows);
  const total = Math.round(rows * fraction);
  const counts: Record<RejectionReason, number> = {
    missing_order_id: 0,
    missing_product_id: 0,
    invalid_sales: 0,
    invalid_quantity: 0,
    missing_date: 0,
    date_violation: 0,
    invalid_discount: 0,
    malformed_row: 0,
    duplicate_row: 0,
    duplicate_business_key: 0,
  };
  // The first rows stay clean so that duplicates always have an earlier clean row to copy.
  const warmUp = Math.min(rows, 16);
  const slots = rows - warmUp;
  const bad = Math.min(total, slots);
  for (let i = 0; i < bad; i++) {
    const k = i % REJECTION_REASONS.length;
    kinds[warmUp + i] = k + 1;
    const reason = REJECTION_REASONS[k];
    if (reason) counts[reason]++;
  }
  for (let i = slots - 1; i > 0; i--) {
    const j = r.int(i + 1);
    const a = kinds[warmUp + i] ?? 0;
    kinds[warmUp + i] = kinds[warmUp + j] ?? 0;
    kinds[warmUp + j] = a;
  }
  return { kinds, expected: counts };
}

/** Deterministic Superstore-like CSV: the same options always give the same bytes. */
export function generateSalesCsv(options: GenerateSalesCsvOptions): GeneratedSalesCsv {
  const { rows, seed } = options;
  const fraction = options.errors ?? 0;
  if (!Number.isInteger(rows) || rows < 0 || !(fraction >= 0 && fraction <= 1)) {
    throw new StrataError(
      "STRATA_ERR_INVALID_OPTION",
      `generateSalesCsv needs a whole number of rows ≥ 0 and errors in 0..1, got rows=${rows}, errors=${fraction}.`,
    );
  }
  const r = rng(seed);
  const vocab = loadVocabulary(options.samplePath);
  const { kinds, expected } = plan(r, rows, fraction);
  const clean = new CleanRows(r, vocab);
  const pool: string[][] = [];
  const chunks: Buffer[] = [];
  const fd = options.outPath ? openOut(options.outPath) : null;
  let pending: string[] = [`${HEADER}\n`];
  let pendingLen = 0;
  let bytes = 0;
  const flush = (): void => {
    const buf = Buffer.from(pending.join(""), "utf8");
    bytes += buf.length;
    if (fd !== null) writeSync(fd, buf);
    else chunks.push(buf);
    pending = [];
    pendingLen = 0;
  };
  let rowId = 0;
  for (let i = 0; i < rows; i++) {
    const kind = kinds[i] ?? 0;
    const reason = kind > 0 ? REJECTION_REASONS[kind - 1] : undefined;
    let line: string;
    if (reason === undefined) {
      const fields = clean.next(++rowId);
      line = fields.map(csvField).join(",");
      // A small pool of recent clean rows is what duplicates copy from.
      if (pool.length < 256) pool.push(fields);
      else pool[r.int(256)] = fields;
    } else {
      line = injectError(
        reason,
        r,
        pool,
        () => clean.next(++rowId),
        () => ++rowId,
        options.quoteErrors ?? true,
      );
    }
    pending.push(line, "\n");
    pendingLen += line.length;
    if (pendingLen > 4_000_000) flush();
  }
  flush();
  if (fd !== null) closeSync(fd);
  const totalBad = REJECTION_REASONS.reduce((s, x) => s + expected[x], 0);
  const base = { rows, bytes, expected, expectedSilverRows: rows - totalBad };
  return options.outPath ? { ...base, path: options.outPath } : { ...base, csv: Buffer.concat(chunks) };
}

function openOut(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, "w");
}

/** One line per reason, for the CLI and benchmarks. */
export function formatExpectedCounts(g: GeneratedSalesCsv): string {
  const lines = REJECTION_REASONS.map((x) => `  ${x.padEnd(24)} ${g.expected[x]}`);
  return [`rows ${g.rows}, expected silver ${g.expectedSilverRows}, expected quarantine:`, ...lines].join(
    "\n",
  );
}
