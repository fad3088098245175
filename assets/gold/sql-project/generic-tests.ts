/**
 * Generic tests, declared per model and column in JSON (dbt's schema.yml without YAML) and expanded
 * into ordinary test templates, so they are rendered, attached and run exactly like hand-written ones.
 *
 * {
 *   "models": {
 *     "fact_sales": {
 *       "columns": {
 *         "sales_key": ["unique", "not_null"],
 *         "customer_key": [{ "relationships": { "to": "dim_customer", "field": "customer_key" } }],
 *         "quantity": [{ "accepted_range": { "min": 1, "max": 15 }, "severity": "warn" }]
 *       },
 *       "tests": [{ "expression_is_true": { "expression": "ship_date >= order_date" } }]
 *     }
 *   }
 * }
 *
 * Every test also takes "severity" (warn | error, default error), "where" (a SQL filter on the
 * model's rows) and "name" (to override the generated `<test>_<model>_<column>`).
 */
import { quote } from "../../../engine/errors.ts";
import { isIdentifier, sqlString } from "../../../resources/warehouse/warehouse.ts";
import { projectError } from "./config.ts";
import { didYouMean } from "./did-you-mean.ts";
import type { Severity } from "./types.ts";

export interface ExpandedTest {
  readonly name: string;
  readonly model: string;
  readonly severity: Severity;
  readonly description: string;
  /** Test SQL with {{ ref() }} tags, rendered like a singular test file. */
  readonly template: string;
}

const COLUMN_TESTS = [
  "not_null",
  "unique",
  "accepted_values",
  "relationships",
  "accepted_range",
  "expression_is_true",
];
const MODEL_TESTS = ["expression_is_true", "unique_combination"];
const COMMON_KEYS = ["severity", "where", "name"];

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function expandGenericTests(declaration: unknown, where: string): ExpandedTest[] {
  if (!isRecord(declaration) || !isRecord(declaration.models)) {
    throw projectError(`${where} must be a JSON object with a "models" object.`);
  }
  const tests: ExpandedTest[] = [];
  for (const [model, spec] of Object.entries(declaration.models)) {
    const at = `${where} → models.${model}`;
    if (!isIdentifier(model) || !isRecord(spec))
      throw projectError(`${at} must be an object keyed by a model name.`);
    const columns = spec.columns ?? {};
    if (!isRecord(columns)) throw projectError(`${at}.columns must be an object of column → list of tests.`);
    for (const [column, list] of Object.entries(columns)) {
      if (!isIdentifier(column) || !Array.isArray(list))
        throw projectError(`${at}.columns.${column} must be a list of tests.`);
      list.forEach((item, i) => {
        tests.push(expandOne(item, model, column, `${at}.columns.${column}[${i}]`));
      });
    }
    const modelTests = spec.tests ?? [];
    if (!Array.isArray(modelTests)) throw projectError(`${at}.tests must be a list.`);
    modelTests.forEach((item, i) => {
      tests.push(expandOne(item, model, undefined, `${at}.tests[${i}]`));
    });
  }
  return tests;
}

function expandOne(item: unknown, model: string, column: string | undefined, at: string): ExpandedTest {
  const entry: Json = typeof item === "string" ? { [item]: {} } : isRecord(item) ? item : {};
  const allowed = column === undefined ? MODEL_TESTS : COLUMN_TESTS;
  const kinds = Object.keys(entry).filter((key) => !COMMON_KEYS.includes(key));
  const kind = kinds[0];
  if (kinds.length !== 1 || kind === undefined) {
    throw projectError(`${at} must name exactly one test of ${allowed.join(", ")} (got ${quote(item)}).`);
  }
  if (!allowed.includes(kind)) {
    throw projectError(
      `Unknown generic test ${quote(kind)} at ${at}.${didYouMean(kind, allowed)} Known: ${allowed.join(", ")}.`,
    );
  }
  const args = entry[kind] ?? {};
  if (!isRecord(args)) throw projectError(`${at}.${kind} must be an object of arguments.`);
  const severity = entry.severity ?? "error";
  if (severity !== "warn" && severity !== "error")
    throw projectError(`${at}.severity must be "warn" or "error".`);
  const filter = optionalText(entry.where, `${at}.where`);
  const rows = `(SELECT * FROM {{ ref('${model}') }}${filter === undefined ? "" : ` WHERE ${filter}`}) AS t`;
  const col = column ?? "";
  let template: string;
  let suffix = col;
  let description: string;
  switch (kind) {
    case "not_null":
      template = `SELECT * FROM ${rows} WHERE ${col} IS NULL`;
      description = `${model}.${col} is never NULL`;
      break;
    case "unique":
      template = `SELECT ${col}, COUNT(*) AS occurrences FROM ${rows} WHERE ${col} IS NOT NULL GROUP BY ${col} HAVING COUNT(*) > 1`;
      description = `${model}.${col} is unique`;
      break;
    case "accepted_values": {
      const values = args.values;
      if (!Array.isArray(values) || values.length === 0)
        throw projectError(`${at}.accepted_values.values must be a non-empty list.`);
      const literals = values.map((v) => (typeof v === "number" ? String(v) : sqlString(String(v))));
      template = `SELECT ${col}, COUNT(*) AS occurrences FROM ${rows} WHERE ${col} IS NOT NULL AND ${col} NOT IN (${literals.join(", ")}) GROUP BY ${col}`;
      description = `${model}.${col} is one of ${values.join(", ")}`;
      break;
    }
    case "relationships": {
      const to = requiredName(args.to, `${at}.relationships.to`);
      const field = requiredName(args.field ?? col, `${at}.relationships.field`);
      template = `SELECT t.${col} FROM ${rows} LEFT JOIN {{ ref('${to}') }} AS parent ON t.${col} = parent.${field} WHERE t.${col} IS NOT NULL AND parent.${field} IS NULL`;
      description = `every ${model}.${col} exists in ${to}.${field}`;
      break;
    }
    case "accepted_range": {
      const min = optionalNumber(args.min, `${at}.accepted_range.min`);
      const max = optionalNumber(args.max, `${at}.accepted_range.max`);
      const inclusive = args.inclusive !== false;
      if (min === undefined && max === undefined)
        throw projectError(`${at}.accepted_range needs min or max.`);
      const bounds = [
        min === undefined ? undefined : `${col} ${inclusive ? ">=" : ">"} ${min}`,
        max === undefined ? undefined : `${col} ${inclusive ? "<=" : "<"} ${max}`,
      ].filter((b) => b !== undefined);
      template = `SELECT * FROM ${rows} WHERE ${col} IS NOT NULL AND NOT (${bounds.join(" AND ")})`;
      description = `${model}.${col} within ${min ?? "-∞"}..${max ?? "∞"}${inclusive ? "" : " (exclusive)"}`;
      break;
    }
    case "expression_is_true": {
      const expression = optionalText(args.expression, `${at}.expression_is_true.expression`);
      if (expression === undefined) throw projectError(`${at}.expression_is_true needs "expression".`);
      template = `SELECT * FROM ${rows} WHERE NOT (${col} ${expression})`;
      suffix = column ?? slug(expression);
      description = column === undefined ? `${model}: ${expression}` : `${model}.${col} ${expression}`;
      break;
    }
    default: {
      const columns = args.columns;
      if (
        !Array.isArray(columns) ||
        columns.length < 2 ||
        !columns.every((c) => typeof c === "string" && isIdentifier(c))
      ) {
        throw projectError(`${at}.unique_combination.columns must list at least two column names.`);
      }
      const list = columns.join(", ");
      template = `SELECT ${list}, COUNT(*) AS occurrences FROM ${rows} GROUP BY ${list} HAVING COUNT(*) > 1`;
      suffix = columns.join("__");
      description = `(${columns.join(", ")}) is unique in ${model}`;
    }
  }
  const name = optionalText(entry.name, `${at}.name`) ?? `${kind}_${model}_${suffix}`;
  if (!isIdentifier(name))
    throw projectError(`${at}: test name ${quote(name)} is not an identifier; set "name".`);
  return { name, model, severity, description, template };
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 40);
}

function optionalText(value: unknown, at: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "")
    throw projectError(`${at} must be a non-empty string.`);
  return value;
}

function optionalNumber(value: unknown, at: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw projectError(`${at} must be a number.`);
  return value;
}

function requiredName(value: unknown, at: string): string {
  if (typeof value !== "string" || !isIdentifier(value))
    throw projectError(`${at} must be a model or column name.`);
  return value;
}
