import { createHash } from "node:crypto";
import { type Rng, rng } from "../data-gen/rng.ts";
import { loadVocabulary, type Place, type Vocabulary } from "../data-gen/vocab.ts";

/**
 * Point-of-sale events (PIPELINE §1 and §5): the 24 source fields in snake_case JSON plus
 * `event_id`, `event_timestamp` (ISO-8601 UTC), `source_system` = KAFKA and `producer_id`; the
 * Kafka key is `order_id`. Values come from the real sample's vocabularies, so category matches
 * sub-category and product, and city matches state, country, market and region.
 *
 * Every (order_id, product_id) is unique within one seed's stream (an order's lines have distinct
 * products and order numbers only grow), so each good event becomes exactly one Silver row: tests
 * can count "every event exactly once" by event id.
 */
export interface SalesEvent {
  readonly event_id: string;
  readonly event_timestamp: string;
  readonly source_system: "KAFKA";
  readonly producer_id: string;
  readonly row_id: number;
  readonly order_id: string | null;
  readonly order_date: string;
  readonly ship_date: string;
  readonly ship_mode: string;
  readonly customer_id: string;
  readonly customer_name: string;
  readonly segment: string;
  readonly city: string;
  readonly state: string;
  readonly country: string;
  readonly postal_code: string;
  readonly market: string;
  readonly region: string;
  readonly product_id: string | null;
  readonly category: string;
  readonly sub_category: string;
  readonly product_name: string;
  readonly sales: number;
  readonly quantity: number;
  readonly discount: number;
  readonly profit: number;
  readonly shipping_cost: number;
  readonly order_priority: string;
}

/** The deliberate defects of bad events, each one Silver rule (§3.4) rejects. */
export const BAD_EVENT_KINDS = [
  "missing_order_id",
  "missing_product_id",
  "invalid_sales",
  "invalid_quantity",
  "date_violation",
  "invalid_discount",
] as const;
export type BadEventKind = (typeof BAD_EVENT_KINDS)[number];

export interface EventGeneratorOptions {
  readonly seed: number;
  /** Fraction 0..1 of events made deliberately bad (seeded positions). */
  readonly badFraction?: number;
  readonly producerId?: string;
  readonly vocabulary?: Vocabulary;
}

export interface GeneratedEvent {
  readonly event: SalesEvent;
  /** Kafka message key: the order id (empty when the defect removed it). */
  readonly key: string;
  /** The defect injected, if any. */
  readonly bad: BadEventKind | undefined;
}

const SHIP_MODES: ReadonlyArray<readonly [string, number, number]> = [
  ["Standard Class", 4, 7],
  ["Second Class", 2, 5],
  ["First Class", 1, 3],
  ["Same Day", 0, 0],
];
const SHIP_MODE_WEIGHTS = [58, 21, 15, 6];
const PRIORITIES = ["Medium", "High", "Critical", "Low"];
const PRIORITY_WEIGHTS = [56, 30, 9, 5];
const DAY_MS = 86_400_000;

let sharedVocabulary: Vocabulary | undefined;
/** The sample is parsed once per process: producers create many generators (one per seed). */
function vocabulary(): Vocabulary {
  sharedVocabulary ??= loadVocabulary();
  return sharedVocabulary;
}

function pick<T>(r: Rng, items: readonly T[]): T {
  const value = items[r.int(items.length)];
  if (value === undefined) throw new RangeError("pick() needs a non-empty list");
  return value;
}

function weightedIndex(r: Rng, weights: readonly number[]): number {
  let x = r.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i] ?? 0;
    if (x < 0) return i;
  }
  return weights.length - 1;
}

const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** A UUID-shaped id derived from (seed, index): the same stream always carries the same ids. */
export function eventIdFor(seed: number, index: number): string {
  const h = createHash("sha256").update(`strata-event:${seed}:${index}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface OpenOrder {
  id: string;
  place: Place;
  customer: { id: string; name: string; segment: string };
  orderDay: number;
  shipDay: number;
  shipMode: string;
  priority: string;
  linesLeft: number;
  products: Set<string>;
}

/**
 * Deterministic event stream: `next(timestampMs)` returns event number 0, 1, 2, ... of the seed;
 * only `event_timestamp` depends on the argument (the time it is sent).
 */
export class SalesEventGenerator {
  private readonly r: Rng;
  private readonly badR: Rng;
  private readonly vocab: Vocabulary;
  private readonly badFraction: number;
  private readonly producerId: string;
  private order: OpenOrder | undefined;
  private orderCounter: number;
  private index = 0;

  constructor(private readonly options: EventGeneratorOptions) {
    this.r = rng(options.seed);
    // A separate stream decides defects, so the clean values do not depend on the bad fraction.
    this.badR = rng(options.seed ^ 0x5bd1e995);
    this.vocab = options.vocabulary ?? vocabulary();
    this.badFraction = Math.min(1, Math.max(0, options.badFraction ?? 0));
    this.producerId = options.producerId ?? "strata-produce";
    // Order numbers start at a seed-dependent block so that two seeds rarely share an order id.
    this.orderCounter = 1_000_000 + (Math.abs(options.seed) % 1000) * 1_000_000;
  }

  next(timestampMs: number): GeneratedEvent {
    const index = this.index++;
    const r = this.r;
    const o = this.order !== undefined && this.order.linesLeft > 0 ? this.order : this.newOrder();
    o.linesLeft--;
    let product = pick(r, this.vocab.products);
    while (o.products.has(product.id)) product = pick(r, this.vocab.products);
    o.products.add(product.id);
    const quantity = 1 + Math.min(13, Math.floor(-Math.log(1 - r.next()) * 3.2));
    const discount = r.next() < 0.55 ? 0 : pick(r, this.vocab.discountsByMarket.get(o.place.market) ?? [0]);
    const sales = Math.max(
      0.1,
      round(product.listPrice * (0.9 + r.next() * 0.2) * quantity * (1 - discount), 3),
    );
    const profit = round(sales * (0.35 - discount * 0.9 + (r.next() - 0.5) * 0.3), 4);
    const event: SalesEvent = {
      event_id: eventIdFor(this.options.seed, index),
      event_timestamp: new Date(timestampMs).toISOString(),
      source_system: "KAFKA",
      producer_id: this.producerId,
      row_id: index + 1,
      order_id: o.id,
      order_date: isoDay(o.orderDay),
      ship_date: isoDay(o.shipDay),
      ship_mode: o.shipMode,
      customer_id: o.customer.id,
      customer_name: o.customer.name,
      segment: o.customer.segment,
      city: o.place.city,
      state: o.place.state,
      country: o.place.country,
      postal_code: o.place.postalCode,
      market: o.place.market,
      region: o.place.region,
      product_id: product.id,
      category: product.category,
      sub_category: product.subCategory,
      product_name: product.name,
      sales,
      quantity,
      discount,
      profit,
      shipping_cost: Math.max(0.01, round(sales * (0.02 + r.next() * 0.12), 2)),
      order_priority: o.priority,
    };
    const bad = this.badR.next() < this.badFraction ? pick(this.badR, BAD_EVENT_KINDS) : undefined;
    const final = bad === undefined ? event : spoil(event, bad);
    return { event: final, key: final.order_id ?? "", bad };
  }

  private newOrder(): OpenOrder {
    const r = this.r;
    const place = pick(r, this.vocab.places);
    const customer = pick(r, this.vocab.customers);
    // Events are recent sales: order days within the last 30 days of 2014 (the sample's last year).
    const orderDay = Date.UTC(2014, 11, 1) / DAY_MS + r.int(31);
    const mode = SHIP_MODES[weightedIndex(r, SHIP_MODE_WEIGHTS)] ?? ["Standard Class", 4, 7];
    const [shipMode, lo, hi] = mode;
    const year = new Date(orderDay * DAY_MS).getUTCFullYear();
    this.order = {
      id: `${place.orderPrefix}-${year}-${++this.orderCounter}`,
      place,
      customer: { id: customer.id, name: customer.name, segment: customer.segment },
      orderDay,
      shipDay: orderDay + lo + r.int(hi - lo + 1),
      shipMode,
      priority: PRIORITIES[weightedIndex(r, PRIORITY_WEIGHTS)] ?? "Medium",
      linesLeft: 1 + Math.floor(r.next() * r.next() * 5),
      products: new Set<string>(),
    };
    return this.order;
  }
}

function spoil(event: SalesEvent, kind: BadEventKind): SalesEvent {
  switch (kind) {
    case "missing_order_id":
      return { ...event, order_id: null };
    case "missing_product_id":
      return { ...event, product_id: null };
    case "invalid_sales":
      return { ...event, sales: -Math.abs(event.sales) };
    case "invalid_quantity":
      return { ...event, quantity: 0 };
    case "date_violation":
      return { ...event, ship_date: isoDay(Date.parse(event.order_date) / DAY_MS - 3) };
    case "invalid_discount":
      return { ...event, discount: 1.5 };
  }
}

/** The first `count` events of a seed (timestamps `startMs`, +1 ms, ...), e.g. for tests and benchmarks. */
export function generateSalesEvents(
  count: number,
  options: EventGeneratorOptions & { readonly startMs?: number },
): GeneratedEvent[] {
  const generator = new SalesEventGenerator(options);
  const start = options.startMs ?? Date.UTC(2026, 0, 1);
  return Array.from({ length: count }, (_, i) => generator.next(start + i));
}
