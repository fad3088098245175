import pl from "nodejs-polars";
import { StrataError } from "../../../engine/errors.ts";
import { asText, CATEGORICAL_FIELDS, type LoadedObject, loadBronzeObject } from "./load.ts";
import type { MalformedRecord } from "./records.ts";
import {
  collapseExpr,
  DEFAULT_CITY_COUNTRY,
  type ObjectSql,
  profileSql,
  quarantineSql,
  readProfile,
  reasonCode,
  silverSql,
  sqlString,
  stagesSql,
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

/** CSV text parsed at a time (see `loadBronzeObject`); also sets the rows per unit of rule work. */
const DEFAULT_PIECE_BYTES = 64 * 1024 * 1024;
/** Up to this many units, the rules' typed columns are kept rather than computed again (see step 1). */
const KEEP_TYPED_UNITS = 4;
/** Seeds of the business-key hash that finds candidate duplicates (any fixed values will do). */
const KEY_SEEDS = [0x5eed, 0x0de7, 0x5157, 0x2026] as const;

/** Consecutive pieces processed together by the rules (see `transformToSilver`). */
interface Unit {
  readonly frame: pl.DataFrame;
  /** Positions of the objects with rows in this unit. */
  readonly objs: readonly number[];
}

/**
 * A vertical concat that keeps the frames' chunks (no copy). pl.concat of DataFrames rechunks by
 * default and, without, chains one vstack per frame; the lazy concat is one call.
 */
function stack(frames: readonly pl.DataFrame[]): pl.DataFrame {
  const [first, ...rest] = frames;
  if (!first) throw new Error("stack: no frames");
  if (rest.length === 0) return first;
  return pl
    .concat(
      frames.map((f) => f.lazy()),
      { rechunk: false, how: "vertical" },
    )
    .collectSync();
}

/**
 * Bronze objects → Silver rows + quarantine (§3 steps 1–7), all in memory; nothing is written.
 *
 * Parsing is per object and, for a large CSV object, per piece of `pieceBytes` (decode, tolerant
 * pre-scan, polars readCSV; load.ts). The rules run as staged polars SQL (rules.ts, dates.ts):
 * standardise, type, validate into an INT reason code.
 *
 * Memory. nodejs-polars frees a frame when V8 has collected its JS wrapper and the event loop has
 * run the finalizer; this function is synchronous, so every frame it creates is kept until it
 * returns, and only what one collect computes internally is freed at once. So: the raw columns are
 * the one full-size frame besides the output (low-cardinality fields as Categorical, see load.ts);
 * the rules run on units of about a piece's rows, each unit's intermediates freed by its collect;
 * and besides the output only narrow per-row results are kept:
 * 1. per unit: the reason code and a hash of the business key of every row;
 * 2. over the batch: the rows rejected by a rule, and the valid rows whose key hash repeats among
 *    valid rows, the only rows that can be duplicates; dedup runs on those few rows (`dedup`);
 * 3. per unit: the Silver SELECT over the rows neither rejected nor duplicates, typed again; then
 *    one quarantine SELECT over the rejected rows. A batch of at most KEEP_TYPED_UNITS units keeps
 *    its typed rows from step 1 instead (small, and typing twice costs more than keeping them).
 * Any coded error (undecodable, truncated, missing column) aborts the whole batch before anything is
 * produced.
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
  const pieceBytes = Math.max(1, Math.floor(options.pieceBytes ?? DEFAULT_PIECE_BYTES));

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
  let lapStart = performance.now();
  const lap = (phase: string): void => {
    const now = performance.now();
    options.onPhase?.(phase, now - lapStart);
    lapStart = now;
  };
  const loaded: LoadedObject[] = [];
  let rows = 0;
  ordered.forEach((object, objIndex) => {
    const l = loadBronzeObject(object, { objIndex, firstIdx: rows, pieceBytes, onPhase: options.onPhase });
    rows += l.rows;
    loaded.push(l);
  });
  lap("load");
  const encodings: Record<string, string> = {};
  ordered.forEach((o, i) => {
    encodings[o.key] = loaded[i]?.encoding ?? "utf-8";
  });

  // About a piece's rows (~256 bytes a row); never tiny, which would only multiply per-query costs.
  const units = unitsOf(loaded, Math.max(512, Math.floor(pieceBytes / 256)));
  const all = stack(units.map((u) => u.frame));
  const dateFormats = [...(options.dateFormats ?? DEFAULT_DATE_FORMATS), "%Y-%m-%d"];
  // A LazyFrame handed to one SQLContext cannot be registered in another: take a fresh one each time.
  const profile = readProfile(
    pl
      .SQLContext({ t0: all.lazy() })
      .execute(profileSql(dateFormats, new Set(CATEGORICAL_FIELDS)))
      .collectSync()
      .toRecords()[0] ?? {},
    dateFormats,
  );
  lap("profile");
  const collapse = collapseExpr(profile);
  const withReason = stagesSql(dateFormats, profile, true);
  const typedOnly = stagesSql(dateFormats, profile, false);
  /** `input` with the staged rule columns (`stages`), as the SQL table `mid`. */
  const staged = (input: pl.LazyDataFrame, stages: { sql: string[]; last: string }): pl.LazyDataFrame => {
    const t0 = input.withColumns(asText);
    const ctx = pl.SQLContext({ t0: collapse ? t0.withColumns(collapse) : t0 });
    stages.sql.forEach((sql, k) => {
      ctx.register(`t${k + 1}`, ctx.execute(sql));
    });
    return ctx.execute(`SELECT * FROM ${stages.last}`);
  };
  /** An output SELECT over `mid` (and `meta`, the per-object provenance, when given). */
  const select = (mid: pl.LazyDataFrame, meta: pl.DataFrame | null, sql: string): pl.LazyDataFrame => {
    const ctx = pl.SQLContext({ mid });
    if (meta) ctx.register("meta", meta.lazy());
    return ctx.execute(sql);
  };

  // 1. Per unit: the rule outcome and a business-key hash of every row (and, in a small batch, the
  // typed rows).
  const keyHash = pl
    .struct([pl.col("__order_id"), pl.col("__product_id")])
    .hash(...KEY_SEEDS)
    .alias("__key");
  const outcome = [pl.col("__idx"), pl.col("__reason"), keyHash];
  const keepTyped = units.length <= KEEP_TYPED_UNITS;
  const kept: pl.DataFrame[] = [];
  const ruled = stack(
    units.map((u) => {
      const mid = staged(u.frame.lazy(), withReason);
      if (!keepTyped) return mid.select(outcome).collectSync();
      const typed = mid.collectSync();
      kept.push(typed);
      return typed.lazy().select(outcome).collectSync();
    }),
  );
  const keptAll = keepTyped ? stack(kept) : null;
  /** Typed rows that pass `keep`, of unit `unit` or else of the whole batch. */
  const typedRows = (keep: pl.Expr, unit?: number): pl.LazyDataFrame => {
    const typed = unit === undefined ? keptAll : kept[unit];
    if (typed) return typed.lazy().drop("__reason").filter(keep);
    const raw = unit === undefined ? all : units[unit]?.frame;
    if (!raw) throw new Error(`no unit ${unit}`);
    return staged(raw.lazy().filter(keep), typedOnly);
  };
  lap("rules");

  // 2. Rejected rows, and the valid rows that may be duplicates: dedup runs on those only.
  const outcomes = pl.SQLContext({ r: ruled.lazy() });
  const rejected = outcomes.execute("SELECT __idx, __reason FROM r WHERE __reason IS NOT NULL").collectSync();
  const candidates = outcomes
    .execute(
      "SELECT __idx FROM r WHERE __reason IS NULL AND __key IN " +
        "(SELECT __key FROM r WHERE __reason IS NULL GROUP BY __key HAVING COUNT(*) > 1)",
    )
    .collectSync()
    .getColumn("__idx");
  let excluded = rejected;
  if (candidates.length > 0) {
    const small = typedRows(pl.col("__idx").isIn(pl.lit(candidates)))
      .select(pl.col(["__idx", "__obj", "source_row_number", "__order_id", "__product_id", ...SOURCE_FIELDS]))
      .collectSync();
    const dups = dedup(small, sameHashGroups(ordered));
    if (dups.height > 0) excluded = pl.concat([rejected, dups], { rechunk: true, how: "vertical" });
  }
  lap("dedup");

  // 3. Silver: per unit, the rows not excluded.
  const notExcluded = pl
    .col("__idx")
    .isIn(pl.lit(excluded.getColumn("__idx")))
    .not();
  const timestamps = pl.col(["source_ingested_at", "processed_at"]).cast(pl.Datetime("us", "UTC"));
  const common = { processedAtUs, runId: options.runId };
  const silver = stack(
    units.map((u, unit) => {
      const obj = objectSql(ordered, u.objs);
      const sql = silverSql({ ...common, obj: obj.sql, profile, threshold, cityCountry });
      return select(typedRows(notExcluded, unit), obj.meta, sql).withColumns(timestamps).collectSync();
    }),
  );
  lap("silver");

  const reasons = excluded.filter(pl.col("__reason").gtEq(0));
  const batch = objectSql(
    ordered,
    ordered.map((_, i) => i),
  );
  const rejectedRows = select(
    typedRows(pl.col("__idx").isIn(pl.lit(reasons.getColumn("__idx")))).join(reasons.lazy(), {
      on: "__idx",
      how: "inner",
    }),
    batch.meta,
    quarantineSql({ ...common, obj: batch.sql }),
  )
    .withColumns(pl.col("quarantined_at").cast(pl.Datetime("us", "UTC")), pl.col("__obj").cast(pl.Int32))
    .collectSync();
  const malformed = malformedFrame(loaded, ordered, options.runId, processedAtUs);
  const quarantine = (malformed ? pl.concat([rejectedRows, malformed]) : rejectedRows)
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
  lap("quarantine");
  const rowsRead = loaded.reduce((sum, l) => sum + l.rowsRead, 0);
  if (rowsRead !== silver.height + quarantine.height) {
    // Every row read must land in exactly one output (the reconciliation check relies on it).
    throw new Error(
      `Silver transform lost rows: read ${rowsRead}, silver ${silver.height}, quarantine ${quarantine.height}.`,
    );
  }
  return {
    silver,
    quarantine,
    counts: { rowsRead, silverRows: silver.height, quarantineRows: quarantine.height, byReason },
    encodings,
  };
}

/**
 * Group the objects' pieces, in batch order, into units of about `unitRows` rows: a large object's
 * pieces are units of their own, small objects share one (a unit of many small frames keeps their
 * chunks; every column is chunked alike, so nothing is re-aligned).
 */
function unitsOf(loaded: readonly LoadedObject[], unitRows: number): Unit[] {
  const units: Unit[] = [];
  let frames: pl.DataFrame[] = [];
  let objs: number[] = [];
  let height = 0;
  const close = (): void => {
    if (frames.length > 0) units.push({ frame: stack(frames), objs });
    frames = [];
    objs = [];
    height = 0;
  };
  loaded.forEach((l, obj) => {
    for (const piece of l.pieces) {
      if (height > 0 && height + piece.height > unitRows) close();
      frames.push(piece);
      height += piece.height;
      if (objs[objs.length - 1] !== obj) objs.push(obj);
    }
  });
  close();
  return units;
}

/**
 * Step 7, on the few rows that can be duplicates at all: valid rows whose business-key hash occurs
 * more than once among valid rows. Both tiers imply equal (order_id, product_id) (identical 24 raw
 * fields, or the same object bytes and row, give equal keys), so the full-width comparison of 24
 * fields runs on this small frame only; a hash collision only adds a row that is then kept.
 * Tier 1 (`duplicate_row`): a row whose (object hash, row number) or whose 24 raw fields occurred
 * before. Tier 2 (`duplicate_business_key`): among the remaining rows, every occurrence of a key but
 * the last, which is the newest source (frame order = source age).
 * Returns `__idx` and `__reason` of the dropped rows.
 */
function dedup(small: pl.DataFrame, sameHash: readonly number[] | null): pl.DataFrame {
  const keys = [pl.col("__order_id"), pl.col("__product_id")];
  let seenBefore = pl
    .struct(pl.col([...SOURCE_FIELDS]))
    .isFirstDistinct()
    .not();
  if (sameHash) {
    const group = pl.col("__obj").replaceStrict(
      sameHash.map((_, i) => i),
      [...sameHash],
    );
    seenBefore = seenBefore.or(
      pl
        .struct([group, pl.col("source_row_number")])
        .isFirstDistinct()
        .not(),
    );
  }
  const kept = pl.col("__dup1").not();
  const flagged = small
    .lazy()
    .withColumns(seenBefore.alias("__dup1"))
    .withColumns(
      kept
        .and(
          pl
            .struct([kept, ...keys])
            .reverse()
            .isFirstDistinct()
            .reverse()
            .not(),
        )
        .alias("__dup2"),
    );
  return pl
    .SQLContext({ f: flagged })
    .execute(
      `SELECT __idx, CAST(CASE WHEN __dup1 THEN ${reasonCode("duplicate_row")} ELSE ${reasonCode("duplicate_business_key")} END AS INT) AS __reason
       FROM f WHERE __dup1 OR __dup2`,
    )
    .collectSync();
}

/** Object position → position of the first object with the same SHA-256, or null when all differ. */
function sameHashGroups(ordered: readonly BronzeObject[]): readonly number[] | null {
  const firstByHash = new Map<string, number>();
  const groups = ordered.map((o, i) => {
    const sha = o.sha256.toLowerCase();
    const first = firstByHash.get(sha) ?? i;
    firstByHash.set(sha, first);
    return first;
  });
  return groups.some((g, i) => g !== i) ? groups : null;
}

/**
 * Provenance for the output SELECTs over rows of the objects at positions `objs`: literals for one
 * object, a join on `__obj` otherwise.
 */
function objectSql(
  ordered: readonly BronzeObject[],
  objs: readonly number[],
): { sql: ObjectSql; meta: pl.DataFrame | null } {
  const systemOf = (o: BronzeObject): string => o.sourceSystem ?? "BATCH";
  const only = objs.length === 1 && objs[0] !== undefined ? ordered[objs[0]] : undefined;
  if (only) {
    return {
      sql: {
        key: sqlString(only.key),
        system: sqlString(systemOf(only)),
        ingestedUs: String(Math.round(only.ingestedAtMs * 1000)),
        from: "mid",
      },
      meta: null,
    };
  }
  const meta = pl.DataFrame([
    pl.Series("__m_obj", Int32Array.from(ordered.map((_, i) => i))),
    pl.Series(
      "__m_key",
      ordered.map((o) => o.key),
      pl.Utf8,
    ),
    pl.Series("__m_system", ordered.map(systemOf), pl.Utf8),
    pl.Series(
      "__m_ingested_us",
      ordered.map((o) => Math.round(o.ingestedAtMs * 1000)),
      pl.Int64,
    ),
  ]);
  return {
    sql: {
      key: "__m_key",
      system: "__m_system",
      ingestedUs: "__m_ingested_us",
      from: "mid LEFT JOIN meta ON mid.__obj = meta.__m_obj",
    },
    meta,
  };
}

/**
 * Rows the pre-scan could not split into fields: raw text in `raw_line`, field columns NULL. Built as
 * four columns plus one SQL SELECT, in the quarantine's column order.
 */
function malformedFrame(
  loaded: readonly LoadedObject[],
  ordered: readonly BronzeObject[],
  runId: string,
  processedAtUs: number,
): pl.DataFrame | null {
  const rows: Array<{ m: MalformedRecord; obj: number }> = loaded.flatMap((l, obj) =>
    l.malformed.map((m) => ({ m, obj })),
  );
  if (rows.length === 0) return null;
  const small = pl.DataFrame([
    pl.Series(
      "raw_line",
      rows.map((r) => r.m.rawLine),
      pl.Utf8,
    ),
    pl.Series(
      "rejection_detail",
      rows.map((r) => r.m.detail),
      pl.Utf8,
    ),
    pl.Series(
      "source_row_number",
      rows.map((r) => r.m.rowNumber),
      pl.Int64,
    ),
    pl.Series("__obj", Int32Array.from(rows.map((r) => r.obj))),
  ]);
  const provenance = objectSql(ordered, [...new Set(rows.map((r) => r.obj))]);
  const ctx = pl.SQLContext({ mid: small.lazy() });
  if (provenance.meta) ctx.register("meta", provenance.meta.lazy());
  const o = provenance.sql;
  const sql = `SELECT ${SOURCE_FIELDS.map((f) => `CAST(NULL AS VARCHAR) AS ${f}`).join(", ")},
    CAST(NULL AS VARCHAR) AS extra_fields, raw_line, 'malformed_row' AS rejection_reason, rejection_detail,
    ${o.system} AS source_system, ${o.key} AS source_object, source_row_number,
    ${sqlString(runId)} AS run_id, ${Math.round(processedAtUs)} AS quarantined_at, __obj FROM ${o.from}`;
  return ctx
    .execute(sql)
    .withColumns(pl.col("quarantined_at").cast(pl.Datetime("us", "UTC")))
    .collectSync();
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
