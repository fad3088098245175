/**
 * The only place where DuckDB and Snowflake SQL differ. Models call these macros with SQL fragments as
 * string arguments (`{{ date_key('order_date') }}`) and the same file then runs on either warehouse.
 * Everything else in the models is written in the common subset (QUALIFY, MERGE, md5, CASE, …).
 */

import { quote, StrataError } from "../../../engine/errors.ts";
import type { SqlDialect } from "../../../resources/warehouse/warehouse.ts";
import type { Literal } from "./expression.ts";

export type Macro = (dialect: SqlDialect, args: readonly Literal[], where: string) => string;

const DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const DATE_PARTS = new Set(["day", "week", "month", "quarter", "year"]);

function sqlArg(args: readonly Literal[], index: number, macro: string, where: string): string {
  const value = args[index];
  if (typeof value === "number") return String(value);
  if (typeof value !== "string" || value.trim() === "") {
    throw new StrataError(
      "STRATA_ERR_SQL_PROJECT",
      `Macro ${macro}() needs a SQL fragment as quoted string argument ${index + 1}, got ${quote(value ?? "nothing")} (${where}).`,
    );
  }
  return value;
}

function datePart(args: readonly Literal[], macro: string, where: string): string {
  const part = sqlArg(args, 0, macro, where).toLowerCase();
  if (!DATE_PARTS.has(part)) {
    throw new StrataError(
      "STRATA_ERR_SQL_PROJECT",
      `Macro ${macro}() got date part ${quote(part)} (${where}); use one of ${[...DATE_PARTS].join(", ")}.`,
    );
  }
  return part;
}

function isoDate(args: readonly Literal[], index: number, macro: string, where: string): string {
  const value = sqlArg(args, index, macro, where);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new StrataError(
      "STRATA_ERR_SQL_PROJECT",
      `Macro ${macro}() needs a YYYY-MM-DD date, got ${quote(value)} (${where}).`,
    );
  }
  return value;
}

/** A CASE over 1..n: portable lookup used where Snowflake's names differ (DAYNAME gives 'Mon'). */
function caseOf(expr: string, names: readonly string[]): string {
  return `CASE ${expr} ${names.map((n, i) => `WHEN ${i + 1} THEN '${n}'`).join(" ")} END`;
}

export const macroTable = {
  /** A stable surrogate key: md5 over the '|'-joined, NULL-safe text of the given expressions. */
  hash_key: (dialect, args, where) => {
    const first = args[0];
    const parts = Array.isArray(first) ? first : args;
    if (parts.length === 0) {
      throw new StrataError(
        "STRATA_ERR_SQL_PROJECT",
        `Macro hash_key() needs at least one expression (${where}).`,
      );
    }
    const text = parts.map(
      (_, i) => `COALESCE(CAST(${sqlArg(parts, i, "hash_key", where)} AS VARCHAR), '~')`,
    );
    return dialect === "snowflake"
      ? `MD5(CONCAT_WS('|', ${text.join(", ")}))`
      : `md5(concat_ws('|', ${text.join(", ")}))`;
  },
  date_diff: (dialect, args, where) => {
    const part = datePart(args, "date_diff", where);
    const [start, end] = [sqlArg(args, 1, "date_diff", where), sqlArg(args, 2, "date_diff", where)];
    return dialect === "snowflake"
      ? `DATEDIFF(${part}, ${start}, ${end})`
      : `date_diff('${part}', ${start}, ${end})`;
  },
  date_add: (dialect, args, where) => {
    const part = datePart(args, "date_add", where);
    const [amount, date] = [sqlArg(args, 1, "date_add", where), sqlArg(args, 2, "date_add", where)];
    return dialect === "snowflake"
      ? `DATEADD(${part}, ${amount}, ${date})`
      : `CAST(${date} + to_${part}s(CAST(${amount} AS INTEGER)) AS DATE)`;
  },
  /** DATE → yyyymmdd integer, the dim_date key. */
  date_key: (dialect, args, where) => {
    const date = sqlArg(args, 0, "date_key", where);
    return dialect === "snowflake"
      ? `CAST(TO_CHAR(${date}, 'YYYYMMDD') AS INTEGER)`
      : `CAST(strftime(${date}, '%Y%m%d') AS INTEGER)`;
  },
  date_from_yyyymmdd: (dialect, args, where) => {
    const key = sqlArg(args, 0, "date_from_yyyymmdd", where);
    return dialect === "snowflake"
      ? `TO_DATE(CAST(${key} AS VARCHAR), 'YYYYMMDD')`
      : `CAST(strptime(CAST(${key} AS VARCHAR), '%Y%m%d') AS DATE)`;
  },
  /** A subquery with one column `date_day`, every day from start to end inclusive. */
  date_spine: (dialect, args, where) => {
    const start = isoDate(args, 0, "date_spine", where);
    const end = isoDate(args, 1, "date_spine", where);
    const days =
      Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000) + 1;
    if (days < 1)
      throw new StrataError("STRATA_ERR_SQL_PROJECT", `date_spine() ends before it starts (${where}).`);
    return dialect === "snowflake"
      ? `(SELECT DATEADD(day, ROW_NUMBER() OVER (ORDER BY SEQ4()) - 1, DATE '${start}') AS date_day FROM TABLE(GENERATOR(ROWCOUNT => ${days})))`
      : `(SELECT CAST(range AS DATE) AS date_day FROM range(DATE '${start}', DATE '${end}' + INTERVAL 1 DAY, INTERVAL 1 DAY))`;
  },
  /** Monday = 1 … Sunday = 7. */
  iso_day_of_week: (dialect, args, where) =>
    `${dialect === "snowflake" ? "DAYOFWEEKISO" : "isodow"}(${sqlArg(args, 0, "iso_day_of_week", where)})`,
  iso_week: (dialect, args, where) =>
    `${dialect === "snowflake" ? "WEEKISO" : "weekofyear"}(${sqlArg(args, 0, "iso_week", where)})`,
  iso_year: (dialect, args, where) =>
    `${dialect === "snowflake" ? "YEAROFWEEKISO" : "isoyear"}(${sqlArg(args, 0, "iso_year", where)})`,
  day_name: (dialect, args, where) => {
    const date = sqlArg(args, 0, "day_name", where);
    return dialect === "snowflake" ? caseOf(`DAYOFWEEKISO(${date})`, DAY_NAMES) : `dayname(${date})`;
  },
  month_name: (dialect, args, where) => {
    const date = sqlArg(args, 0, "month_name", where);
    return dialect === "snowflake" ? caseOf(`MONTH(${date})`, MONTH_NAMES) : `monthname(${date})`;
  },
  /** a / b, NULL when b is 0 or NULL (both warehouses would raise or return inf otherwise). */
  safe_divide: (_dialect, args, where) => {
    const [a, b] = [sqlArg(args, 0, "safe_divide", where), sqlArg(args, 1, "safe_divide", where)];
    return `CASE WHEN ${b} IS NULL OR ${b} = 0 THEN NULL ELSE CAST(${a} AS DOUBLE) / ${b} END`;
  },
  /** The open end of a current SCD2 version. */
  open_end_date: () => "DATE '9999-12-31'",
} satisfies Record<string, Macro>;

/** Lookup by name for the template renderer. */
export const macros: Readonly<Record<string, Macro>> = macroTable;
