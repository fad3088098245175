import type pl from "nodejs-polars";

/** The 24 source fields (§1), in their Silver (snake_case) spelling and in source order. */
export const SOURCE_FIELDS = [
  "source_row_id",
  "order_id",
  "order_date",
  "ship_date",
  "ship_mode",
  "customer_id",
  "customer_name",
  "segment",
  "city",
  "state",
  "country",
  "postal_code",
  "market",
  "region",
  "product_id",
  "category",
  "sub_category",
  "product_name",
  "sales",
  "quantity",
  "discount",
  "profit",
  "shipping_cost",
  "order_priority",
] as const;
export type SourceField = (typeof SOURCE_FIELDS)[number];

/**
 * Columns without which no row could pass validation or be typed meaningfully: a file lacking one is
 * refused as a whole (coded error) instead of quarantining every row. The others become NULL.
 */
export const REQUIRED_FIELDS: readonly SourceField[] = [
  "order_id",
  "order_date",
  "ship_date",
  "product_id",
  "sales",
  "quantity",
  "discount",
  "profit",
];

/** Rejection reasons in rule order (§3 step 4; first failing wins), then the two dedup tiers (step 7). */
export const REJECTION_REASONS = [
  "missing_order_id",
  "missing_product_id",
  "invalid_sales",
  "invalid_quantity",
  "missing_date",
  "date_violation",
  "invalid_discount",
  "malformed_row",
  "duplicate_row",
  "duplicate_business_key",
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export type SourceSystem = "BATCH" | "KAFKA";

/** One Bronze object as the Silver asset hands it over. */
export interface BronzeObject {
  /** The object's bytes, or a local path to read them from. */
  readonly content: Uint8Array | string;
  /** Object key in the Bronze store, e.g. `bronze/sales_csv/year=2026/month=11/day=25/x.csv`. */
  readonly key: string;
  /** Hex SHA-256 of the object's bytes (from the Bronze manifest). */
  readonly sha256: string;
  /** Bronze ingestion time, epoch milliseconds. */
  readonly ingestedAtMs: number;
  /** Defaults to BATCH; KAFKA objects order ties by `startOffset` + row number (the Kafka offset). */
  readonly sourceSystem?: SourceSystem;
  /** First Kafka offset of the object (from its `<topic>+<partition>+<startOffset>` name). */
  readonly startOffset?: number;
  /** Defaults to `jsonl` for a `.jsonl` key or a KAFKA object, else `csv`. */
  readonly format?: "csv" | "jsonl";
}

export interface SilverTransformOptions {
  /** Run id stamped on every Silver and quarantine row. */
  readonly runId: string;
  /** Processing time (epoch ms); defaults to now. Fixed in tests for reproducible output. */
  readonly processedAtMs?: number;
  /** Day-first date formats tried in order (chrono syntax); ISO `%Y-%m-%d` is always accepted. */
  readonly dateFormats?: readonly string[];
  /** Sales above this are flagged `is_sales_outlier` (never capped). Default 10000. */
  readonly salesOutlierThreshold?: number;
  /** City → the only country it can be in; a different country flags INVALID_CITY_COUNTRY. */
  readonly cityCountry?: Readonly<Record<string, string>>;
  /**
   * Bytes of CSV text read and parsed at a time (default 64 MiB), which also sizes the units the rules
   * run on. Smaller means less memory held at once and more per-piece overhead; tests use tiny values
   * to cross piece boundaries.
   */
  readonly pieceBytes?: number;
  /** Called with each phase's wall time (ms), for run metadata and the benchmark's breakdown. */
  readonly onPhase?: (phase: string, ms: number) => void;
}

export interface SilverTransformCounts {
  /** Records read from all objects (header excluded, blank lines ignored): silver + quarantine. */
  readonly rowsRead: number;
  readonly silverRows: number;
  readonly quarantineRows: number;
  readonly byReason: Readonly<Record<RejectionReason, number>>;
}

export interface SilverTransformResult {
  /** Valid, standardised, typed, deduplicated rows; columns as in `SILVER_COLUMNS`. */
  readonly silver: pl.DataFrame;
  /** Every rejected or dropped row; columns as in `QUARANTINE_COLUMNS`. */
  readonly quarantine: pl.DataFrame;
  readonly counts: SilverTransformCounts;
  /** Encoding detected per object key (`utf-8`, `utf-8-bom`, `windows-1252`). */
  readonly encodings: Readonly<Record<string, string>>;
}

/** Silver column order. */
export const SILVER_COLUMNS = [
  "row_id",
  ...SOURCE_FIELDS,
  "is_sales_outlier",
  "geo_quality_flag",
  "unit_price",
  "profit_margin",
  "source_system",
  "source_object",
  "source_row_number",
  "source_ingested_at",
  "processed_at",
  "run_id",
] as const;

/** Quarantine column order: the raw 24 values as strings, then the rejection and its provenance. */
export const QUARANTINE_COLUMNS = [
  ...SOURCE_FIELDS,
  "extra_fields",
  "raw_line",
  "rejection_reason",
  "rejection_detail",
  "source_system",
  "source_object",
  "source_row_number",
  "run_id",
  "quarantined_at",
] as const;

export const DEFAULT_DATE_FORMATS: readonly string[] = ["%d/%m/%Y", "%d-%m-%Y"];
export const DEFAULT_SALES_OUTLIER_THRESHOLD = 10_000;
