import pl from "nodejs-polars";
import { StrataError } from "../../../engine/errors.ts";
import { dateStages } from "./dates.ts";
import { type LoadedObject, loadBronzeObject } from "./load.ts";
import type { MalformedRecord } from "./records.ts";
import {
  DEFAULT_CITY_COUNTRY,
  detailExpr,
  flagAndDerivedExprs,
  reasonCode,
  reasonCodeExpr,
  silverFieldExpr,
  standardiseExprs,
  typeExprs,
} from "./rules.ts";
import {
  type BronzeObject,
  DEFAULT_DATE_FORMATS,
  DEFAULT_SALES_OUTLIER_THRESHOLD,
  REJECTION_REASONS,
  type RejectionReason,
  type SilverTransformOptions,
  type SilverTransformResult,
  SOURCE_FIELDS,
} from "./types.ts";

/**
 * Bronze objects → Silver rows + quarantine (§3 steps 1–7). Parsing is per object (decode, tolerant
 * pre-scan, polars readCSV with every column Utf8); everything after that is one lazy polars plan
 * over all objects: standardise, type, validate (a UInt8 reason code), and both dedup tiers as
 * window-free `isFirstDistinct` masks, collected once, then split into Silver and quarantine.
 */
export function transformToSilver(
  objects: readonly BronzeObject[],
  options: SilverTransformOptions,
): SilverTransformResult {
  if (objects.length === 0) {
    throw new StrataError("STRATA_ERR_INVALID_OPTION", "transformToSilver was given no Bronze objects.");
  }
  const processedAtUs = Math.round((options.processedAtMs ?? Date.now()) * 1000);
  const threshold = options.salesOutlierThreshold ?? DEFAULT_SALES_OUTLIER_THRESHOLD;
  const cityCountry = options.cityCountry ?? DEFAULT_CITY_COUNTRY;

  // Frame order = age of the source (ingestion time, then Kafka offset), so "first" is the oldest
  // occurrence (tier 1 keeps it) and "last" the newest (tier 2 keeps it); the key breaks ties.
  const ordered = objects
    .map((object, input) => ({ object, input }))
    .sort(
      (a, b) =>
        a.object.ingestedAtMs - b.object.ingestedAtMs ||
        (a.object.startOffset ?? 0) - (b.object.startOffset ?? 0) ||
        (a.object.key < b.object.key ? -1 : a.object.key > b.object.key ? 1 : 0) ||
        a.input - b.input,
    )
    .map((o) => o.object);
  const loaded: LoadedObject[] = ordered.map((object, index) => loadBronzeObject(object, index));
  const encodings: Record<string, string> = {};
  ordered.forEach((o, i) => {
    encodings[o.key] = loaded[i]?.encoding ?? "utf-8";
  });

  const meta = objectMeta(ordered);
  const combined = loaded.length === 1 && loaded[0] ? loaded[0].frame : pl.concat(loaded.map((l) => l.frame));
  const dates = dateStages(
    ["order_date", "ship_date"],
    [...(options.dateFormats ?? DEFAULT_DATE_FORMATS), "%Y-%m-%d"],
  );
  let typed = combined.lazy().withColumns(...standardiseExprs(), ...typeExprs());
  for (const stage of dates.stages) typed = typed.withColumns(...stage);
  const mid = dedup(typed.drop(dates.temp).withColumns(reasonCodeExpr()), meta.sameHashGroups).collectSync();

  const silver = mid
    .lazy()
    .filter(pl.col("__reason").isNull())
    .select(
      pl.col("row_id"),
      ...SOURCE_FIELDS.map(silverFieldExpr),
      ...flagAndDerivedExprs(threshold, cityCountry),
      meta.system.alias("source_system"),
      meta.key.alias("source_object"),
      pl.col("source_row_number"),
      meta.ingestedAt.alias("source_ingested_at"),
      timestampUs(pl.lit(processedAtUs)).alias("processed_at"),
      pl.lit(options.runId).alias("run_id"),
    )
    .collectSync();

  const rejected = mid
    .lazy()
    .filter(pl.col("__reason").isNotNull())
    .select(
      ...SOURCE_FIELDS.map((f) => pl.col(f)),
      pl.col("extra_fields"),
      pl.lit(null).cast(pl.Utf8).alias("raw_line"),
      pl
        .col("__reason")
        .replaceStrict(reasonCodes(), [...REJECTION_REASONS])
        .alias("rejection_reason"),
      detailExpr(),
      meta.system.alias("source_system"),
      meta.key.alias("source_object"),
      pl.col("source_row_number"),
      pl.lit(options.runId).alias("run_id"),
      timestampUs(pl.lit(processedAtUs)).alias("quarantined_at"),
      pl.col("__obj"),
    )
    .collectSync();
  const malformed = malformedFrame(loaded, ordered, options.runId, processedAtUs);
  const quarantine = (malformed.height > 0 ? pl.concat([rejected, malformed]) : rejected)
    .sort(["__obj", "source_row_number"])
    .drop("__obj");

  const byReason = zeroCounts();
  if (quarantine.height > 0) {
    const counts = quarantine.groupBy("rejection_reason").agg(pl.len().alias("n")).toRecords();
    for (const row of counts) {
      const reason = REJECTION_REASONS.find((r) => r === row.rejection_reason);
      if (reason) byReason[reason] = Number(row.n);
    }
  }
  const rowsRead = loaded.reduce((sum, l) => sum + l.rowsRead, 0);
  return {
    silver,
    quarantine,
    counts: { rowsRead, silverRows: silver.height, quarantineRows: quarantine.height, byReason },
    encodings,
  };
}

const reasonCodes = (): number[] => REJECTION_REASONS.map((r) => reasonCode(r));

function timestampUs(e: pl.Expr): pl.Expr {
  return e.cast(pl.Int64).cast(pl.Datetime("us", "UTC"));
}

/**
 * Step 7. Tier 1 (`duplicate_row`): among valid rows, a row whose (object hash, row number) or whose
 * 24 raw fields occurred before. Tier 2 (`duplicate_business_key`): among the remaining valid rows,
 * every (order_id, product_id) occurrence but the last (= newest source) one. Invalid rows are keyed
 * apart (the `cand` flag is part of every key), so they never shadow a valid row.
 */
function dedup(lf: pl.LazyDataFrame, sameHashGroups: readonly number[] | null): pl.LazyDataFrame {
  const cand = pl.col("__reason").isNull();
  const firstOf = (...keys: pl.Expr[]): pl.Expr => pl.struct([cand, ...keys]).isFirstDistinct();
  let seenBefore = firstOf(...SOURCE_FIELDS.map((f) => pl.col(f))).not();
  if (sameHashGroups) {
    const hashGroup = pl.col("__obj").replaceStrict(
      sameHashGroups.map((_, i) => i),
      [...sameHashGroups],
    );
    seenBefore = seenBefore.or(firstOf(hashGroup, pl.col("source_row_number")).not());
  }
  const tier1 = cand.and(seenBefore);
  const cand2 = cand.and(pl.col("__dup1").not());
  const lastOfKey = pl
    .struct([cand2, pl.col("__order_id"), pl.col("__product_id")])
    .reverse()
    .isFirstDistinct()
    .reverse();
  return lf
    .withColumns(tier1.alias("__dup1"))
    .withColumns(cand2.and(lastOfKey.not()).alias("__dup2"))
    .withColumns(
      pl
        .when(pl.col("__dup1"))
        .then(pl.lit(reasonCode("duplicate_row")).cast(pl.UInt8))
        .when(pl.col("__dup2"))
        .then(pl.lit(reasonCode("duplicate_business_key")).cast(pl.UInt8))
        .otherwise(pl.col("__reason"))
        .alias("__reason"),
    );
}

interface ObjectMeta {
  readonly key: pl.Expr;
  readonly system: pl.Expr;
  readonly ingestedAt: pl.Expr;
  /** Object position → position of the first object with the same SHA-256, or null when all differ. */
  readonly sameHashGroups: readonly number[] | null;
}

/** Per-object values as expressions on `__obj`: literals for one object, a small lookup otherwise. */
function objectMeta(ordered: readonly BronzeObject[]): ObjectMeta {
  const systemOf = (o: BronzeObject): string => o.sourceSystem ?? "BATCH";
  const firstByHash = new Map<string, number>();
  const groups = ordered.map((o, i) => {
    const sha = o.sha256.toLowerCase();
    const first = firstByHash.get(sha) ?? i;
    firstByHash.set(sha, first);
    return first;
  });
  const sameHashGroups = groups.some((g, i) => g !== i) ? groups : null;
  const only = ordered.length === 1 ? ordered[0] : undefined;
  if (only) {
    return {
      key: pl.lit(only.key),
      system: pl.lit(systemOf(only)),
      ingestedAt: timestampUs(pl.lit(Math.round(only.ingestedAtMs * 1000))),
      sameHashGroups,
    };
  }
  const idx = ordered.map((_, i) => i);
  const lookup = (values: string[] | number[]): pl.Expr => pl.col("__obj").replaceStrict(idx, values);
  return {
    key: lookup(ordered.map((o) => o.key)),
    system: lookup(ordered.map(systemOf)),
    ingestedAt: timestampUs(lookup(ordered.map((o) => Math.round(o.ingestedAtMs * 1000)))),
    sameHashGroups,
  };
}

/** Rows the pre-scan could not split into fields: raw text in `raw_line`, field columns NULL. */
function malformedFrame(
  loaded: readonly LoadedObject[],
  ordered: readonly BronzeObject[],
  runId: string,
  processedAtUs: number,
): pl.DataFrame {
  const rows: Array<{ m: MalformedRecord; obj: number }> = loaded.flatMap((l, obj) =>
    l.malformed.map((m) => ({ m, obj })),
  );
  const n = rows.length;
  const nullStr = (name: string): pl.Series => pl.Series(name, new Array<null>(n).fill(null), pl.Utf8);
  return pl.DataFrame([
    ...SOURCE_FIELDS.map(nullStr),
    nullStr("extra_fields"),
    pl.Series(
      "raw_line",
      rows.map((r) => r.m.rawLine),
      pl.Utf8,
    ),
    pl.Series("rejection_reason", new Array<string>(n).fill("malformed_row"), pl.Utf8),
    pl.Series(
      "rejection_detail",
      rows.map((r) => r.m.detail),
      pl.Utf8,
    ),
    pl.Series(
      "source_system",
      rows.map((r) => ordered[r.obj]?.sourceSystem ?? "BATCH"),
      pl.Utf8,
    ),
    pl.Series(
      "source_object",
      rows.map((r) => ordered[r.obj]?.key ?? ""),
      pl.Utf8,
    ),
    pl.Series(
      "source_row_number",
      rows.map((r) => r.m.rowNumber),
      pl.Int64,
    ),
    pl.Series("run_id", new Array<string>(n).fill(runId), pl.Utf8),
    pl
      .Series("quarantined_at", new Array<number>(n).fill(processedAtUs), pl.Int64)
      .cast(pl.Datetime("us", "UTC")),
    pl.Series(
      "__obj",
      rows.map((r) => r.obj),
      pl.UInt32,
    ),
  ]);
}

export function zeroCounts(): Record<RejectionReason, number> {
  return {
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
}
