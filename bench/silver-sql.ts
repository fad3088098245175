import { DEFAULT_CITY_COUNTRY } from "../assets/silver/transform/rules.ts";
import { SOURCE_FIELDS } from "../assets/silver/transform/types.ts";

/**
 * The Silver rules of PIPELINE.md §3 as DuckDB SQL, for the benchmark's reference engine. Same
 * inputs, same rules, same outputs as `transformToSilver`: typed Silver rows with the derived columns
 * and row ids, and a quarantine with the raw values, reason and detail. The CSV reader's own reject
 * store (`ignore_errors` + `store_rejects`) plays the part of our malformed-row pre-scan.
 */

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
// DuckDB's normalize_names spells `Row ID` row_id and `Sub-Category` subcategory.
const raw = (f: string): string =>
  f === "source_row_id" ? "row_id" : f === "sub_category" ? "subcategory" : f;
const COLLAPSE = String.raw`'\s{2,}|[\t\n\r\f\v\xa0]\s*'`;

const blank = (e: string): string => `nullif(${e}, '')`;
const collapse = (f: string): string => `trim(regexp_replace(${raw(f)}, ${COLLAPSE}, ' ', 'g'))`;
const num = (f: string): string =>
  `(CASE WHEN isfinite(try_cast(trim(${f}) AS DOUBLE)) THEN try_cast(trim(${f}) AS DOUBLE) END)`;
const date = (f: string): string =>
  `(CASE WHEN regexp_full_match(trim(${f}), '\\d{2}/\\d{2}/\\d{4}|\\d{2}-\\d{2}-\\d{4}|\\d{4}-\\d{2}-\\d{2}') ` +
  `THEN try_strptime(trim(${f}), ['%d/%m/%Y', '%d-%m-%Y', '%Y-%m-%d'])::DATE END)`;
const unparseable = (f: string, typed: string): string =>
  `(regexp_matches(${f}, '\\S') AND ${typed} IS NULL)`;

export interface SilverSqlOptions {
  readonly csvPath: string;
  readonly objectKey: string;
  readonly objectSha256: string;
  readonly ingestedAtMs: number;
  readonly processedAtMs: number;
  readonly runId: string;
  readonly threshold: number;
}

/** Statements to run in order; afterwards tables `silver` and `quarantine` exist. */
export function silverSql(o: SilverSqlOptions): string[] {
  const prefixHex = o.ingestedAtMs.toString(16).padStart(12, "0");
  const prefix = sqlString(`${prefixHex.slice(0, 8)}-${prefixHex.slice(8)}-7`);
  const cityCase = Object.entries(DEFAULT_CITY_COUNTRY)
    .map(([city, country]) => `WHEN ${sqlString(city)} THEN ${sqlString(country)}`)
    .join(" ");
  const rawCols = SOURCE_FIELDS.map(raw).join(", ");
  const staged = `
CREATE OR REPLACE TEMP TABLE staged AS
WITH src AS (
  SELECT *, row_number() OVER () AS rn
  FROM read_csv(${sqlString(o.csvPath)}, header = true, all_varchar = true, normalize_names = true,
                quote = '"', escape = '"', ignore_errors = true, store_rejects = true)
), typed AS (
  SELECT *,
    ${blank("trim(order_id)")} AS s_order_id,
    ${blank("trim(customer_id)")} AS s_customer_id,
    ${blank("trim(product_id)")} AS s_product_id,
    ${["segment", "city", "state", "country", "region"].map((f) => `${blank(collapse(f))} AS s_${f}`).join(",\n    ")},
    ${["category", "sub_category"].map((f) => `${blank(`upper(${collapse(f)})`)} AS s_${f}`).join(",\n    ")},
    ${["ship_mode", "market", "order_priority"].map((f) => `${blank(`trim(${f})`)} AS s_${f}`).join(",\n    ")},
    ${date("order_date")} AS t_order_date,
    ${date("ship_date")} AS t_ship_date,
    ${["sales", "discount", "profit", "shipping_cost"].map((f) => `${num(f)} AS t_${f}`).join(",\n    ")},
    -- DuckDB casts '2.5' to BIGINT by rounding; polars (and the rule) refuse it.
    CASE WHEN regexp_full_match(trim(quantity), '[+-]?\\d+') THEN try_cast(trim(quantity) AS BIGINT) END AS t_quantity,
    CASE WHEN regexp_full_match(trim(row_id), '[+-]?\\d+') THEN try_cast(trim(row_id) AS BIGINT) END AS t_row_id
  FROM src
), reasoned AS MATERIALIZED (
  SELECT *, CASE
    WHEN s_order_id IS NULL THEN 'missing_order_id'
    WHEN s_product_id IS NULL THEN 'missing_product_id'
    WHEN t_sales IS NULL OR t_sales <= 0 THEN 'invalid_sales'
    WHEN t_quantity IS NULL OR t_quantity <= 0 THEN 'invalid_quantity'
    WHEN t_order_date IS NULL OR t_ship_date IS NULL THEN 'missing_date'
    WHEN t_ship_date < t_order_date THEN 'date_violation'
    WHEN t_discount IS NULL OR t_discount < 0 OR t_discount > 1 THEN 'invalid_discount'
    WHEN ${unparseable("profit", "t_profit")} OR ${unparseable("shipping_cost", "t_shipping_cost")}
      OR ${unparseable("row_id", "t_row_id")} THEN 'malformed_row'
  END AS reason0
  FROM typed
), candidates AS (
  -- Same algorithm as ours: only valid rows whose (order_id, product_id) repeats can be duplicates.
  SELECT rn, ${rawCols}, s_order_id, s_product_id FROM reasoned
  WHERE reason0 IS NULL AND (s_order_id, s_product_id) IN (
    SELECT (s_order_id, s_product_id) FROM reasoned WHERE reason0 IS NULL
    GROUP BY s_order_id, s_product_id HAVING count(*) > 1)
), tier1 AS (
  SELECT rn, s_order_id, s_product_id,
    row_number() OVER (PARTITION BY ${rawCols} ORDER BY rn) > 1 AS dup1
  FROM candidates
), tier2 AS (
  SELECT rn, dup1, NOT dup1 AND row_number() OVER (
    PARTITION BY NOT dup1, s_order_id, s_product_id ORDER BY rn DESC) > 1 AS dup2
  FROM tier1
)
SELECT reasoned.*, CASE WHEN dup1 THEN 'duplicate_row' WHEN dup2 THEN 'duplicate_business_key' ELSE reason0 END AS reason
FROM reasoned LEFT JOIN tier2 USING (rn)`;
  const hx = "lpad(to_hex(h1), 16, '0')";
  const silver = `
CREATE OR REPLACE TABLE silver AS
SELECT
  ${prefix} || substr(${hx}, 1, 3) || '-' || substr('89ab', ((h1 >> 20) & 3)::INT + 1, 1)
    || substr(${hx}, 4, 3) || '-' || substr(lpad(to_hex(hash(h1)), 16, '0'), 1, 12) AS row_id,
  t_row_id AS source_row_id, s_order_id AS order_id, t_order_date AS order_date, t_ship_date AS ship_date,
  s_ship_mode AS ship_mode, s_customer_id AS customer_id,
  CASE WHEN regexp_matches(customer_name, '\\S') THEN customer_name END AS customer_name,
  s_segment AS segment, s_city AS city, s_state AS state, s_country AS country,
  CASE WHEN regexp_matches(postal_code, '\\S') THEN postal_code END AS postal_code,
  s_market AS market, s_region AS region, s_product_id AS product_id, s_category AS category,
  s_sub_category AS sub_category,
  CASE WHEN regexp_matches(product_name, '\\S') THEN product_name END AS product_name,
  t_sales AS sales, t_quantity AS quantity, t_discount AS discount, t_profit AS profit,
  t_shipping_cost AS shipping_cost, s_order_priority AS order_priority,
  t_sales > ${o.threshold} AS is_sales_outlier,
  CASE WHEN (CASE s_city ${cityCase} END) IS NOT NULL AND (CASE s_city ${cityCase} END) <> coalesce(s_country, '')
    THEN 'INVALID_CITY_COUNTRY' ELSE 'VALID' END AS geo_quality_flag,
  t_sales / t_quantity AS unit_price, t_profit / t_sales AS profit_margin,
  'BATCH' AS source_system, ${sqlString(o.objectKey)} AS source_object, rn AS source_row_number,
  make_timestamp(${o.ingestedAtMs * 1000}::BIGINT) AS source_ingested_at,
  make_timestamp(${o.processedAtMs * 1000}::BIGINT) AS processed_at, ${sqlString(o.runId)} AS run_id
FROM (SELECT *, hash(rn, ${sqlString(o.objectSha256)}) AS h1 FROM staged WHERE reason IS NULL)`;
  const quarantine = `
CREATE OR REPLACE TABLE quarantine AS
SELECT ${rawCols}, NULL::VARCHAR AS raw_line, reason AS rejection_reason,
  CASE reason
    WHEN 'invalid_sales' THEN 'sales ' || coalesce('"' || sales || '"', 'is blank') || ' is not a number > 0'
    WHEN 'invalid_quantity' THEN 'quantity ' || coalesce('"' || quantity || '"', 'is blank') || ' is not an integer > 0'
    WHEN 'missing_date' THEN 'order_date ' || coalesce('"' || order_date || '"', 'blank') || ', ship_date '
      || coalesce('"' || ship_date || '"', 'blank') || ': blank or not in an accepted format'
    WHEN 'date_violation' THEN 'ship_date "' || ship_date || '" is before order_date "' || order_date || '"'
    WHEN 'invalid_discount' THEN 'discount ' || coalesce('"' || discount || '"', 'is blank') || ' is not a fraction in 0..1'
    WHEN 'duplicate_business_key' THEN 'a newer source has the same (order_id, product_id)'
    ELSE reason END AS rejection_detail,
  'BATCH' AS source_system, ${sqlString(o.objectKey)} AS source_object, rn AS source_row_number,
  ${sqlString(o.runId)} AS run_id, make_timestamp(${o.processedAtMs * 1000}::BIGINT) AS quarantined_at
FROM staged WHERE reason IS NOT NULL
UNION ALL BY NAME
SELECT csv_line AS raw_line, 'malformed_row' AS rejection_reason, error_message AS rejection_detail,
  'BATCH' AS source_system, ${sqlString(o.objectKey)} AS source_object, line AS source_row_number,
  ${sqlString(o.runId)} AS run_id, make_timestamp(${o.processedAtMs * 1000}::BIGINT) AS quarantined_at
FROM (SELECT DISTINCT ON (line) * FROM reject_errors ORDER BY line)`;
  return [staged, silver, quarantine];
}
