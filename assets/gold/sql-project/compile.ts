/**
 * Renders a parsed model or test for one dialect: ref()/source() become schema-qualified names,
 * `this` the model's own relation, is_incremental() the run's mode, and macros their dialect's SQL.
 */
import { quote, type StrataError } from "../../../engine/errors.ts";
import { qualified, type Relation, type SqlDialect } from "../../../resources/warehouse/warehouse.ts";
import { projectError } from "./config.ts";
import { macros } from "./dialect-macros.ts";
import { didYouMean } from "./did-you-mean.ts";
import { type Expr, type Literal, literalOf } from "./expression.ts";
import { renderTemplate, type TemplateNode } from "./template.ts";

export interface Resolver {
  /** The relation a model is built into; throws STRATA_ERR_SQL_UNKNOWN_REF when no model has that name. */
  model(name: string, where: string): Relation;
  source(source: string, table: string, where: string): Relation;
}

export interface RenderScope {
  readonly dialect: SqlDialect;
  readonly isIncremental: boolean;
  /** The model's own relation; undefined in tests, where `this` is an error. */
  readonly self: Relation | undefined;
  readonly where: string;
}

const BUILT_INS = ["config", "ref", "source", "is_incremental", "this"];

export function render(nodes: readonly TemplateNode[], resolver: Resolver, scope: RenderScope): string {
  const evaluate = (expr: Expr): string | number | boolean => {
    switch (expr.kind) {
      case "literal":
        if (Array.isArray(expr.value)) throw projectError(`A list cannot be printed (${scope.where}).`);
        return typeof expr.value === "string" ? expr.value : String(expr.value);
      case "list":
        throw projectError(`A list cannot be printed (${scope.where}).`);
      case "not":
        return evaluate(expr.operand) !== true;
      case "name":
        if (expr.name === "this") {
          if (scope.self === undefined)
            throw projectError(`{{ this }} is only defined in models (${scope.where}).`);
          return qualified(scope.self);
        }
        throw unknownName(expr.name, scope.where);
      case "call":
        return call(expr, resolver, scope);
    }
  };
  return renderTemplate(nodes, evaluate);
}

function call(
  expr: Extract<Expr, { kind: "call" }>,
  resolver: Resolver,
  scope: RenderScope,
): string | boolean {
  const args = expr.args.map((arg) => {
    const value = literalOf(arg);
    if (value === undefined)
      throw projectError(`Arguments of ${expr.name}() must be quoted literals (${scope.where}).`);
    return value;
  });
  switch (expr.name) {
    case "config":
      return "";
    case "is_incremental":
      return scope.isIncremental;
    case "ref":
      return qualified(resolver.model(stringArg(args, 0, "ref", scope.where), scope.where));
    case "source":
      return qualified(
        resolver.source(
          stringArg(args, 0, "source", scope.where),
          stringArg(args, 1, "source", scope.where),
          scope.where,
        ),
      );
  }
  const macro = macros[expr.name];
  if (macro === undefined) throw unknownName(expr.name, scope.where);
  return macro(scope.dialect, args, scope.where);
}

export function stringArg(args: readonly Literal[], index: number, fn: string, where: string): string {
  const value = args[index];
  if (typeof value !== "string") {
    throw projectError(
      `${fn}() needs a quoted name as argument ${index + 1}, got ${quote(value ?? "nothing")} (${where}).`,
    );
  }
  return value;
}

function unknownName(name: string, where: string): StrataError {
  const known = [...BUILT_INS, ...Object.keys(macros)];
  return projectError(
    `Unknown function or name ${quote(name)} (${where}).${didYouMean(name, known)} Known: ${known.join(", ")}.`,
  );
}
