import type { MergeOptions } from "../../resources/delta/delta-table.ts";

/** The business key of a Silver sales line: what batch and streaming merges match on. */
export const SILVER_SALES_KEYS = ["order_id", "product_id"] as const;

/**
 * Newer source wins: an existing key is replaced only by a row ingested later (or later in the
 * same object), so a replay of old data never overwrites newer corrections.
 */
export const newerSourceWins: MergeOptions["updateWhen"] = ({ source, target }) =>
  source("source_ingested_at")
    .gt(target("source_ingested_at"))
    .or(
      source("source_ingested_at")
        .eq(target("source_ingested_at"))
        .and(source("source_row_number").gt(target("source_row_number"))),
    );
