import pl from "nodejs-polars";
import { REJECTION_REASONS, type RejectionReason } from "./types.ts";

/**
 * §3 steps 2–5 as polars expressions over the raw string columns (named like the Silver fields).
 * Standardised/typed values go to `__<field>` columns so the raw strings stay for quarantine.
 */

const ID_FIELDS = ["order_id", "customer_id", "product_id"] as const;
const COLLAPSED_FIELDS = ["segment", "city", "state", "country", "region"] as const;
const UPPER_FIELDS = ["category", "sub_category"] as const;
const TRIMMED_FIELDS = ["ship_mode", "market", "order_priority"] as const;
/** Kept byte-exact (names may legitimately carry odd spacing); only a blank value becomes NULL. */
export const VERBATIM_FIELDS = ["customer_name", "postal_code", "product_name"] as const;
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

const col = (name: string): pl.Expr => pl.col(name);
const std = (name: string): string => `__${name}`;
const NULL_STR = pl.lit(null).cast(pl.Utf8);

function blankToNull(e: pl.Expr): pl.Expr {
  return pl.when(e.str.lengths().gt(0)).then(e).otherwise(NULL_STR);
}

// Only runs of 2+ whitespace or non-space whitespace are rewritten, so the common single space
// does not allocate a new string.
function collapse(e: pl.Expr): pl.Expr {
  return e.str.replaceAll(/\s{2,}|[\t\n\r\f\v\u00a0]\s*/, " ").str.strip();
}

/** Step 2: standardised string columns `__<field>`. */
export function standardiseExprs(): pl.Expr[] {
  return [
    ...ID_FIELDS.map((f) => blankToNull(col(f).str.strip()).alias(std(f))),
    ...COLLAPSED_FIELDS.map((f) => blankToNull(collapse(col(f))).alias(std(f))),
    ...UPPER_FIELDS.map((f) => blankToNull(collapse(col(f)).str.toUpperCase()).alias(std(f))),
    ...TRIMMED_FIELDS.map((f) => blankToNull(col(f).str.strip()).alias(std(f))),
  ];
}

function parseNumber(raw: pl.Expr): pl.Expr {
  const v = raw.str.strip().cast(pl.Float64, false);
  // "NaN"/"inf" parse as floats but are not amounts.
  return pl.when(v.isFinite()).then(v).otherwise(pl.lit(null).cast(pl.Float64));
}

/**
 * Step 3: typed numeric columns `__<field>` (dates: see dates.ts); an unparseable value is NULL here
 * and rejected in step 4.
 */
export function typeExprs(): pl.Expr[] {
  return [
    ...FLOAT_FIELDS.map((f) => parseNumber(col(f)).alias(std(f))),
    col("quantity").str.strip().cast(pl.Int64, false).alias(std("quantity")),
    col("source_row_id").str.strip().cast(pl.Int64, false).alias(std("source_row_id")),
  ];
}

/** A raw value that is present (not blank) but did not type. */
const unparseable = (f: string): pl.Expr =>
  col(f)
    .str.contains("\\S")
    .and(col(std(f)).isNull());

/** Step 4 as a UInt8 code into REJECTION_REASONS (NULL = valid); first failing rule wins. */
export function reasonCodeExpr(): pl.Expr {
  const code = (r: RejectionReason): pl.Expr => pl.lit(reasonCode(r)).cast(pl.UInt8);
  return pl
    .when(col(std("order_id")).isNull())
    .then(code("missing_order_id"))
    .when(col(std("product_id")).isNull())
    .then(code("missing_product_id"))
    .when(
      col(std("sales"))
        .isNull()
        .or(col(std("sales")).ltEq(0)),
    )
    .then(code("invalid_sales"))
    .when(
      col(std("quantity"))
        .isNull()
        .or(col(std("quantity")).ltEq(0)),
    )
    .then(code("invalid_quantity"))
    .when(
      col(std("order_date"))
        .isNull()
        .or(col(std("ship_date")).isNull()),
    )
    .then(code("missing_date"))
    .when(col(std("ship_date")).lt(col(std("order_date"))))
    .then(code("date_violation"))
    .when(
      col(std("discount"))
        .isNull()
        .or(col(std("discount")).lt(0))
        .or(col(std("discount")).gt(1)),
    )
    .then(code("invalid_discount"))
    .when(unparseable("profit").or(unparseable("shipping_cost")).or(unparseable("source_row_id")))
    .then(code("malformed_row"))
    .otherwise(pl.lit(null).cast(pl.UInt8))
    .alias("__reason");
}

const quoted = (f: string): pl.Expr =>
  pl.concatString([pl.lit(`${f} "`), col(f), pl.lit('"')], "").fillNull(pl.lit(`${f} is blank`));

/** Detail message per rejected row; evaluated on quarantine rows only, so its cost does not scale with valid rows. */
export function detailExpr(): pl.Expr {
  const is = (r: RejectionReason): pl.Expr => col("__reason").eq(reasonCode(r));
  const cat = (...parts: pl.Expr[]): pl.Expr => pl.concatString(parts, "");
  return pl
    .when(is("missing_order_id"))
    .then(pl.lit("order_id is blank"))
    .when(is("missing_product_id"))
    .then(pl.lit("product_id is blank"))
    .when(is("invalid_sales"))
    .then(cat(quoted("sales"), pl.lit(" is not a number > 0")))
    .when(is("invalid_quantity"))
    .then(cat(quoted("quantity"), pl.lit(" is not an integer > 0")))
    .when(is("missing_date"))
    .then(
      cat(
        quoted("order_date"),
        pl.lit(", "),
        quoted("ship_date"),
        pl.lit(": blank or not in an accepted format"),
      ),
    )
    .when(is("date_violation"))
    .then(cat(quoted("ship_date"), pl.lit(" is before "), quoted("order_date")))
    .when(is("invalid_discount"))
    .then(cat(quoted("discount"), pl.lit(" is not a fraction in 0..1")))
    .when(is("malformed_row"))
    .then(
      cat(
        pl.lit("not a number: "),
        pl.concatString(
          [
            pl.when(unparseable("profit")).then(quoted("profit")).otherwise(NULL_STR),
            pl.when(unparseable("shipping_cost")).then(quoted("shipping_cost")).otherwise(NULL_STR),
            pl.when(unparseable("source_row_id")).then(quoted("source_row_id")).otherwise(NULL_STR),
          ],
          ", ",
          true,
        ),
      ),
    )
    .when(is("duplicate_row"))
    .then(pl.lit("same source row seen earlier in this batch (same object and row, or identical 24 fields)"))
    .otherwise(
      cat(
        pl.lit("a newer source has the same (order_id, product_id) = ("),
        col(std("order_id")),
        pl.lit(", "),
        col(std("product_id")),
        pl.lit(")"),
      ),
    )
    .alias("rejection_detail");
}

/** Step 5 flags and step 6 derived measures, evaluated on valid rows only. */
export function flagAndDerivedExprs(
  threshold: number,
  cityCountry: Readonly<Record<string, string>>,
): pl.Expr[] {
  const cities = Object.keys(cityCountry);
  const expected =
    cities.length > 0 ? col(std("city")).replace(cities, Object.values(cityCountry)) : col(std("country"));
  const known = cities.length > 0 ? col(std("city")).isIn(cities) : pl.lit(false);
  return [
    col(std("sales")).gt(threshold).alias("is_sales_outlier"),
    pl
      .when(known.and(expected.neq(col(std("country")).fillNull(pl.lit("")))))
      .then(pl.lit("INVALID_CITY_COUNTRY"))
      .otherwise(pl.lit("VALID"))
      .alias("geo_quality_flag"),
    col(std("sales"))
      .div(col(std("quantity")).cast(pl.Float64))
      .alias("unit_price"),
    col(std("profit"))
      .div(col(std("sales")))
      .alias("profit_margin"),
  ];
}

/** The Silver value of a source field: standardised/typed where a rule applies, else the raw string (blank → NULL). */
export function silverFieldExpr(field: string): pl.Expr {
  if ((VERBATIM_FIELDS as readonly string[]).includes(field)) {
    return pl.when(col(field).str.contains("\\S")).then(col(field)).otherwise(NULL_STR).alias(field);
  }
  return col(std(field)).alias(field);
}
