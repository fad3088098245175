/**
 * `{{ config(...) }}` headers, as in dbt: keyword arguments with literal values. Unknown keys are
 * errors (with a suggestion) because a misspelt `unique_key` would otherwise silently turn a merge
 * into an append.
 */
import { quote, StrataError } from "../../../engine/errors.ts";
import { isIdentifier } from "../../../resources/warehouse/warehouse.ts";
import { didYouMean } from "./did-you-mean.ts";
import { type Expr, type Literal, literalOf } from "./expression.ts";
import type { TemplateNode } from "./template.ts";
import type { Materialization, ModelConfig, Severity } from "./types.ts";

type Call = Extract<Expr, { kind: "call" }>;

const MODEL_KEYS = [
  "materialized",
  "schema",
  "unique_key",
  "incremental_strategy",
  "check_cols",
  "first_seen",
  "changed_at",
  "tags",
  "description",
];
const TEST_KEYS = ["severity", "model", "tags", "description"];
const MATERIALIZATIONS: readonly Materialization[] = ["view", "table", "incremental", "snapshot"];

/** The literal keyword arguments of the file's single top-level config() call ({} when there is none). */
export function configArguments(nodes: readonly TemplateNode[], where: string): Record<string, Literal> {
  const calls: Call[] = [];
  for (const node of nodes) {
    if (node.kind === "print" && node.expr.kind === "call" && node.expr.name === "config")
      calls.push(node.expr);
  }
  if (calls.length > 1)
    throw projectError(`${where} has ${calls.length} config() calls; merge them into one.`);
  const call = calls[0];
  if (call === undefined) return {};
  if (call.args.length > 0)
    throw projectError(`config() in ${where} takes keyword arguments only (key='value').`);
  const values: Record<string, Literal> = {};
  for (const [key, expr] of Object.entries(call.kwargs)) {
    const value = literalOf(expr);
    if (value === undefined)
      throw projectError(`config(${key}=…) in ${where} must be a quoted literal or a list of them.`);
    values[key] = value;
  }
  return values;
}

export function modelConfig(
  args: Record<string, Literal>,
  defaultSchema: string,
  where: string,
): ModelConfig {
  rejectUnknown(args, MODEL_KEYS, where);
  const materialized = oneOf(args.materialized ?? "view", MATERIALIZATIONS, "materialized", where);
  const schema = text(args.schema ?? defaultSchema, "schema", where);
  if (!isIdentifier(schema))
    throw projectError(`config(schema=${quote(schema)}) in ${where} is not an identifier.`);
  const uniqueKey = columnList(args.unique_key, "unique_key", where);
  const checkCols = columnList(args.check_cols, "check_cols", where);
  const strategyDefault = uniqueKey.length > 0 ? "merge" : "append";
  const incrementalStrategy = oneOf(
    args.incremental_strategy ?? strategyDefault,
    ["merge", "append"],
    "incremental_strategy",
    where,
  );
  const firstSeen = args.first_seen === undefined ? undefined : column(args.first_seen, "first_seen", where);
  const changedAt = args.changed_at === undefined ? undefined : column(args.changed_at, "changed_at", where);
  if (incrementalStrategy === "merge" && materialized === "incremental" && uniqueKey.length === 0) {
    throw projectError(`${where}: incremental_strategy='merge' needs unique_key.`);
  }
  if (
    materialized === "snapshot" &&
    (uniqueKey.length === 0 || checkCols.length === 0 || firstSeen === undefined)
  ) {
    throw projectError(`${where}: a snapshot needs unique_key, check_cols and first_seen in its config().`);
  }
  return {
    materialized,
    schema,
    uniqueKey,
    incrementalStrategy,
    checkCols,
    firstSeen,
    changedAt,
    tags: stringList(args.tags, "tags", where),
    description: args.description === undefined ? undefined : text(args.description, "description", where),
  };
}

export interface TestConfig {
  readonly severity: Severity;
  readonly model: string | undefined;
  readonly description: string | undefined;
}

export function testConfig(args: Record<string, Literal>, where: string): TestConfig {
  rejectUnknown(args, TEST_KEYS, where);
  return {
    severity: oneOf(args.severity ?? "error", ["warn", "error"], "severity", where),
    model: args.model === undefined ? undefined : text(args.model, "model", where),
    description: args.description === undefined ? undefined : text(args.description, "description", where),
  };
}

function rejectUnknown(args: Record<string, Literal>, known: readonly string[], where: string): void {
  for (const key of Object.keys(args)) {
    if (!known.includes(key)) {
      throw projectError(
        `Unknown config key ${quote(key)} in ${where}.${didYouMean(key, known)} Known: ${known.join(", ")}.`,
      );
    }
  }
}

function text(value: Literal, key: string, where: string): string {
  if (typeof value !== "string")
    throw projectError(`config(${key}=…) in ${where} must be a quoted string, got ${quote(value)}.`);
  return value;
}

function oneOf<T extends string>(value: Literal, allowed: readonly T[], key: string, where: string): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    throw projectError(`config(${key}=${quote(value)}) in ${where} must be one of ${allowed.join(", ")}.`);
  }
  return found;
}

function column(value: Literal, key: string, where: string): string {
  const name = text(value, key, where);
  if (!isIdentifier(name))
    throw projectError(`config(${key}=${quote(name)}) in ${where} is not a column name.`);
  return name;
}

function stringList(value: Literal | undefined, key: string, where: string): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => text(item, key, where));
}

/** A column or list of columns; "a, b" is accepted too, as in dbt's unique_key. */
function columnList(value: Literal | undefined, key: string, where: string): string[] {
  const names = stringList(value, key, where).flatMap((s) => s.split(",").map((part) => part.trim()));
  for (const name of names) {
    if (!isIdentifier(name))
      throw projectError(`config(${key}) in ${where} lists ${quote(name)}, which is not a column name.`);
  }
  return names;
}

export function projectError(message: string): StrataError {
  return new StrataError("STRATA_ERR_SQL_PROJECT", message);
}

/** JSON.parse with a coded error naming the file, instead of a bare SyntaxError. */
export function parseJsonFile(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StrataError("STRATA_ERR_SQL_PROJECT", `${where} is not valid JSON: ${reason}.`);
  }
}
