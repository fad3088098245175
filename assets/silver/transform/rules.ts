import pl from "nodejs-polars";
import { dateShapes, dateSqlStages } from "./dates.ts";
import { REJECTION_REASONS, type RejectionReason, SOURCE_FIELDS } from "./types.ts";

/**
 * §3 steps 2–6 as polars SQL over the raw string columns (named like the Silver fields).
 * Standardised/typed values go to `__<field>` columns so the raw strings stay for quarantine.
 *
 * Why SQL rather than polars expressions: in nodejs-polars 0.25.2 every `Expr` wrapper is a fresh
 * object literal with ~200 closures, measured at 0.3–1 ms to construct. The rule set needs ~600
 * expression nodes, which cost more than the 1x data itself. The SQL text compiles to the same
 * polars plan inside Rust at no JS cost. Only what SQL lacks (regex replace, isFirstDistinct) stays
 * as a handful of expressions.
 */

const ID_FIELDS = ["order_id", "customer_id", "product_id"] as const;
/** Trimmed and inner whitespace collapsed; the last two also UPPER-cased. */
export const COLLAPSED_FIELDS = [
  "segment",
  "city",
  "state",
  "country",
  "region",
  "category",
  "sub_category",
] as const;
const TRIMMED_FIELDS = ["ship_mode", "market", "order_priority"] as const;
/** Kept byte-exact (names may legitimately carry odd spacing); only a blank value becomes NULL. */
const VERBATIM_FIELDS = ["customer_name", "postal_code", "product_name"] as const;
const FLOAT_FIELDS = ["sales", "discount", "profit", "shipping_cost"] as const;

/** Cities that exist in only one country of the Superstore geography: any other country is impossible. */
export const DEFAULT_CITY_COUNTRY: Readonly<Record<string, string>> = {
  "New York City": "United States",
  "Los Angeles": "United States",
  Tokyo: "Japan",
  Beijing: "China",
  Shanghai: "China",
  Mumbai: "India",
  "New Delhi": "India",
  Sydney: "Australia",
  Jakarta: "Indonesia",
  Manila: "Philippines",
  Bangkok: "Thailand",
  Seoul: "South Korea",
  Istanbul: "Turkey",
  Lagos: "Nigeria",
  "Mexico City": "Mexico",
  "Buenos Aires": "Argentina",
  "São Paulo": "Brazil",
  Toronto: "Canada",
};

export const reasonCode = (reason: RejectionReason): number => REJECTION_REASONS.indexOf(reason);
/** Reason code of a record the pre-scan already quarantined as malformed (ragged mode): in neither output. */
export const DROPPED = -1;
export const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * What the data needs, from one cheap pass before the rules (one regex per column, ~0.3 s at 10x).
 * Standardising a clean column is a no-op, so a column without a messy value is aliased instead
 * of trimmed/collapsed (no string copies), and date layouts no value has are not computed.
 */
export interface DataProfile {
  /** Fields with a value that is empty or has leading, trailing, repeated or non-space whitespace. */
  readonly messy: ReadonlySet<string>;
  /** Date field → indices (into `dateShapes`) of the layouts some value of the field matches. */
  readonly dateGroups: ReadonlyMap<string, readonly number[]>;
}

const MESSY = String.raw`^$|^\s|\s$|\s\s|[\t\n\r\f\v\xa0]`;
const DATE_FIELDS = ["order_date", "ship_date"] as const;
const anyOf = (cond: string, name: string): string => `MAX(CAST(COALESCE(${cond}, FALSE) AS INT)) AS ${name}`;

/**
 * The profile as one SELECT over `t0`. A field in `categorical` (Categorical, see load.ts) is checked
 * on its distinct values only: a few thousand strings instead of one per row, and no full-size text
 * copy. Each such field is a one-row subquery, cross-joined to the rest.
 */
export function profileSql(dateFormats: readonly string[], categorical: ReadonlySet<string>): string {
  const shapes = dateShapes(dateFormats);
  const checks = (f: string): string[] => {
    const v = categorical.has(f) ? `CAST(${f} AS VARCHAR)` : f;
    const dates = (DATE_FIELDS as readonly string[]).includes(f)
      ? shapes.map((g, gi) =>
          anyOf(`REGEXP_LIKE(${v}, '^\\s*${g.shape.slice(1, -1)}\\s*$')`, `g__${f}__${gi}`),
        )
      : [];
    return [anyOf(`REGEXP_LIKE(${v}, '${MESSY}')`, `m__${f}`), ...dates];
  };
  const direct = SOURCE_FIELDS.filter((f) => !categorical.has(f)).flatMap(checks);
  const parts = [
    ...(direct.length > 0 ? [`(SELECT ${direct.join(", ")} FROM t0)`] : []),
    ...SOURCE_FIELDS.filter((f) => categorical.has(f)).map(
      (f) => `(SELECT ${checks(f).join(", ")} FROM (SELECT DISTINCT ${f} FROM t0))`,
    ),
  ];
  return `SELECT * FROM ${parts.map((p, i) => `${p} AS p${i}`).join(" CROSS JOIN ")}`;
}

export function readProfile(row: Record<string, unknown>, dateFormats: readonly string[]): DataProfile {
  const messy = new Set(SOURCE_FIELDS.filter((f) => Number(row[`m__${f}`] ?? 0) > 0));
  const shapes = dateShapes(dateFormats);
  const dateGroups = new Map<string, number[]>(
    DATE_FIELDS.map((f) => [
      f,
      shapes.flatMap((_, gi) => (Number(row[`g__${f}__${gi}`] ?? 0) > 0 ? [gi] : [])),
    ]),
  );
  return { messy, dateGroups };
}

/** Step 2, the part SQL cannot express: collapse whitespace runs into `__c_<field>` (one expression). */
export function collapseExpr(profile: DataProfile): pl.Expr | null {
  const fields = COLLAPSED_FIELDS.filter((f) => profile.messy.has(f));
  if (fields.length === 0) return null;
  // Only runs of 2+ whitespace or non-space whitespace are rewritten, so a single space allocates nothing.
  return pl
    .col(fields)
    .str.replaceAll(/\s{2,}|[\t\n\r\f\v\u00a0]\s*/, " ")
    .prefix("__c_");
}

// NaN and ±inf parse as doubles but are not amounts; NaN compares false in polars.
const num = (x: string): string =>
  `CASE WHEN ABS(TRY_CAST(${x} AS DOUBLE)) < 1000000000000000000000000000000.0 THEN TRY_CAST(${x} AS DOUBLE) END`;

/** Steps 2–3 as SQL items over table `t0`; clean columns are aliased, not rewritten. */
function standardiseAndTypeSql(p: DataProfile): string[] {
  const messy = (f: string): boolean => p.messy.has(f);
  // `__c_<f>` (collapsed) exists only for messy fields; a clean field is used as is.
  const trimmed = (f: string, from = f): string => (messy(f) ? `NULLIF(TRIM(${from}), '')` : f);
  return [
    ...ID_FIELDS.map((f) => `${trimmed(f)} AS __${f}`),
    ...COLLAPSED_FIELDS.map((f) => {
      const v = trimmed(f, `__c_${f}`);
      return `${f === "category" || f === "sub_category" ? `UPPER(${v})` : v} AS __${f}`;
    }),
    ...TRIMMED_FIELDS.map((f) => `${trimmed(f)} AS __${f}`),
    ...FLOAT_FIELDS.map((f) => `${num(messy(f) ? `TRIM(${f})` : f)} AS __${f}`),
    `TRY_CAST(${messy("quantity") ? "TRIM(quantity)" : "quantity"} AS BIGINT) AS __quantity`,
    `TRY_CAST(${messy("source_row_id") ? "TRIM(source_row_id)" : "source_row_id"} AS BIGINT) AS __source_row_id`,
  ];
}

/** A raw value that is present (not blank) but did not type. */
const unparseable = (f: string, p?: DataProfile): string =>
  p && !p.messy.has(f)
    ? `(${f} IS NOT NULL AND __${f} IS NULL)`
    : `(COALESCE(REGEXP_LIKE(${f}, '\\S'), FALSE) AND __${f} IS NULL)`;

/** Step 4 as an INT code into REJECTION_REASONS (NULL = valid); first failing rule wins. */
function reasonSql(p: DataProfile): string {
  const rules: Array<[RejectionReason, string]> = [
    ["missing_order_id", "__order_id IS NULL"],
    ["missing_product_id", "__product_id IS NULL"],
    ["invalid_sales", "__sales IS NULL OR __sales <= 0"],
    ["invalid_quantity", "__quantity IS NULL OR __quantity <= 0"],
    ["missing_date", "__order_date_days IS NULL OR __ship_date_days IS NULL"],
    ["date_violation", "__ship_date_days < __order_date_days"],
    ["invalid_discount", "__discount IS NULL OR __discount < 0 OR __discount > 1"],
    [
      "malformed_row",
      `${unparseable("profit", p)} OR ${unparseable("shipping_cost", p)} OR ${unparseable("source_row_id", p)}`,
    ],
  ];
  const rows = rules.map(([r, cond]) => `WHEN ${cond} THEN ${reasonCode(r)}`).join(" ");
  return `CASE WHEN __drop THEN ${DROPPED} ${rows} END AS __reason`;
}

/**
 * The staged SELECTs from `t0` (raw columns plus `__c_*`) to `t<n>`: standardised and typed `__<field>`
 * columns, day numbers `__<date>_days`, and with `reason` the rule outcome `__reason`; stage k reads
 * `t<k>` and writes `t<k+1>`. Returns the SQL texts and the final table name.
 */
export function stagesSql(
  dateFormats: readonly string[],
  p: DataProfile,
  reason: boolean,
): { sql: string[]; last: string } {
  const dates = dateSqlStages(DATE_FIELDS, dateFormats, {
    trim: (f) => p.messy.has(f),
    uses: (f, gi) => p.dateGroups.get(f)?.includes(gi) ?? false,
  });
  const lists: string[][] = [standardiseAndTypeSql(p), ...dates.stages, ...(reason ? [[reasonSql(p)]] : [])];
  const collapsed = COLLAPSED_FIELDS.filter((f) => p.messy.has(f)).map((f) => `__c_${f}`);
  const temp = [...dates.temp, ...collapsed];
  const sql = lists.map((items, k) => {
    // The last stage no longer needs the temporaries (only its own expressions may read them).
    const drop = k === lists.length - 1 && temp.length > 0 ? ` EXCLUDE (${temp.join(", ")})` : "";
    return `SELECT *${drop}, ${items.join(", ")} FROM t${k}`;
  });
  return { sql, last: `t${lists.length}` };
}

/** Per-object values: literals for one object; a join on `__obj` with table `meta` otherwise. */
export interface ObjectSql {
  readonly key: string;
  readonly system: string;
  readonly ingestedUs: string;
  readonly from: string;
}

/** Steps 5–6: the Silver SELECT over `mid`, which holds the Silver rows only. Timestamps are µs integers here. */
export function silverSql(o: {
  profile: DataProfile;
  threshold: number;
  cityCountry: Readonly<Record<string, string>>;
  obj: ObjectSql;
  processedAtUs: number;
  runId: string;
}): string {
  const verbatim = new Set<string>(VERBATIM_FIELDS);
  const fields = SOURCE_FIELDS.map((f) => {
    if (verbatim.has(f)) {
      return o.profile.messy.has(f)
        ? `CASE WHEN REGEXP_LIKE(${f}, '\\S') THEN ${f} END AS ${f}`
        : `${f} AS ${f}`;
    }
    if (f === "order_date" || f === "ship_date") return `CAST(__${f}_days AS DATE) AS ${f}`;
    return `__${f} AS ${f}`;
  });
  const cities = Object.entries(o.cityCountry);
  const expected = cities.length
    ? `CASE __city ${cities.map(([c, k]) => `WHEN ${sqlString(c)} THEN ${sqlString(k)}`).join(" ")} END`
    : "NULL";
  return `SELECT row_id, ${fields.join(", ")},
    __sales > ${Number(o.threshold)} AS is_sales_outlier,
    CASE WHEN ${expected} <> COALESCE(__country, '') THEN 'INVALID_CITY_COUNTRY' ELSE 'VALID' END AS geo_quality_flag,
    __sales / CAST(__quantity AS DOUBLE) AS unit_price, __profit / __sales AS profit_margin,
    ${o.obj.system} AS source_system, ${o.obj.key} AS source_object, source_row_number,
    ${o.obj.ingestedUs} AS source_ingested_at, ${Math.round(o.processedAtUs)} AS processed_at, ${sqlString(o.runId)} AS run_id
    FROM ${o.obj.from}`;
}

const quoted = (f: string): string => `COALESCE('${f} "' || ${f} || '"', '${f} is blank')`;

/** Step 9 for rows that were parsed: raw strings, reason, detail and provenance. */
export function quarantineSql(o: { obj: ObjectSql; processedAtUs: number; runId: string }): string {
  const code = (r: RejectionReason) => reasonCode(r);
  const notNumber = (f: string) => `CASE WHEN ${unparseable(f)} THEN ${quoted(f)} || ' ' ELSE '' END`;
  const detail = `CASE __reason
    WHEN ${code("missing_order_id")} THEN 'order_id is blank'
    WHEN ${code("missing_product_id")} THEN 'product_id is blank'
    WHEN ${code("invalid_sales")} THEN ${quoted("sales")} || ' is not a number > 0'
    WHEN ${code("invalid_quantity")} THEN ${quoted("quantity")} || ' is not an integer > 0'
    WHEN ${code("missing_date")} THEN ${quoted("order_date")} || ', ' || ${quoted("ship_date")} || ': blank or not a date in an accepted format'
    WHEN ${code("date_violation")} THEN ${quoted("ship_date")} || ' is before ' || ${quoted("order_date")}
    WHEN ${code("invalid_discount")} THEN ${quoted("discount")} || ' is not a fraction in 0..1'
    WHEN ${code("malformed_row")} THEN 'not a number: ' || ${notNumber("profit")} || ${notNumber("shipping_cost")} || ${notNumber("source_row_id")}
    WHEN ${code("duplicate_row")} THEN 'same source row seen earlier in this batch (same object and row, or identical 24 fields)'
    ELSE 'a newer source has the same (order_id, product_id) = (' || __order_id || ', ' || __product_id || ')' END`;
  const reason = `CASE __reason ${REJECTION_REASONS.map((r) => `WHEN ${code(r)} THEN '${r}'`).join(" ")} END`;
  return `SELECT ${SOURCE_FIELDS.join(", ")}, extra_fields, CAST(NULL AS VARCHAR) AS raw_line,
    ${reason} AS rejection_reason, ${detail} AS rejection_detail,
    ${o.obj.system} AS source_system, ${o.obj.key} AS source_object, source_row_number,
    ${sqlString(o.runId)} AS run_id, ${Math.round(o.processedAtUs)} AS quarantined_at, __obj
    FROM ${o.obj.from} WHERE __reason >= 0`;
}
