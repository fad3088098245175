/**
 * The expression language inside `{{ … }}` and `{% if … %}` tags: a deliberately tiny, Jinja-looking
 * subset (calls with literal arguments, keyword arguments, lists, `not`, bare names). Keeping it
 * literal-only means dependencies are known without rendering, and nothing in a model file can run
 * code.
 */
import { quote, StrataError } from "../../../engine/errors.ts";

export type Literal = string | number | boolean | readonly Literal[];

export type Expr =
  | { readonly kind: "literal"; readonly value: Literal }
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "not"; readonly operand: Expr }
  | {
      readonly kind: "call";
      readonly name: string;
      readonly args: readonly Expr[];
      readonly kwargs: Readonly<Record<string, Expr>>;
    }
  | { readonly kind: "list"; readonly items: readonly Expr[] };

type Token =
  | { readonly t: "str"; readonly v: string }
  | { readonly t: "num"; readonly v: number }
  | { readonly t: "id"; readonly v: string }
  | { readonly t: "punct"; readonly v: string };

function tokenize(source: string, where: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\s*(?:(['"])((?:\\.|(?!\1)[^\\])*)\1|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([()[\],=]))/y;
  let index = 0;
  while (index < source.length) {
    if (/^\s*$/.test(source.slice(index))) break;
    pattern.lastIndex = index;
    const m = pattern.exec(source);
    if (m === null) {
      throw new StrataError(
        "STRATA_ERR_SQL_PROJECT",
        `Cannot read ${quote(source.slice(index).trim())} in ${where}: expected a quoted string, number, name, call or list.`,
      );
    }
    index = pattern.lastIndex;
    if (m[2] !== undefined) tokens.push({ t: "str", v: m[2].replace(/\\(.)/g, "$1") });
    else if (m[3] !== undefined) tokens.push({ t: "num", v: Number(m[3]) });
    else if (m[4] !== undefined) tokens.push({ t: "id", v: m[4] });
    else if (m[5] !== undefined) tokens.push({ t: "punct", v: m[5] });
  }
  return tokens;
}

/** Parses one expression; `where` names the file and tag for error messages. */
export function parseExpression(source: string, where: string): Expr {
  const tokens = tokenize(source, where);
  let pos = 0;
  const fail = (what: string): never => {
    throw new StrataError("STRATA_ERR_SQL_PROJECT", `${what} in ${quote(source.trim())} (${where}).`);
  };
  const peek = (): Token | undefined => tokens[pos];
  const isPunct = (v: string): boolean => {
    const token = peek();
    return token !== undefined && token.t === "punct" && token.v === v;
  };
  const expect = (v: string): void => {
    if (!isPunct(v)) fail(`Expected '${v}'`);
    pos++;
  };

  const parseValue = (): Expr => {
    const token = peek();
    if (token === undefined) return fail("Unexpected end of expression");
    pos++;
    if (token.t === "str" || token.t === "num") return { kind: "literal", value: token.v };
    if (token.t === "punct") {
      if (token.v !== "[") return fail(`Unexpected '${token.v}'`);
      const items: Expr[] = [];
      while (!isPunct("]")) {
        items.push(parseValue());
        if (!isPunct("]")) expect(",");
      }
      pos++;
      return { kind: "list", items };
    }
    if (token.v === "not") return { kind: "not", operand: parseValue() };
    if (token.v === "true" || token.v === "True") return { kind: "literal", value: true };
    if (token.v === "false" || token.v === "False") return { kind: "literal", value: false };
    if (!isPunct("(")) return { kind: "name", name: token.v };
    pos++;
    const args: Expr[] = [];
    const kwargs: Record<string, Expr> = {};
    while (!isPunct(")")) {
      const next = peek();
      const after = tokens[pos + 1];
      if (next?.t === "id" && after?.t === "punct" && after.v === "=") {
        pos += 2;
        if (next.v in kwargs) fail(`Keyword ${quote(next.v)} given twice`);
        kwargs[next.v] = parseValue();
      } else {
        if (Object.keys(kwargs).length > 0) fail("A positional argument follows a keyword argument");
        args.push(parseValue());
      }
      if (!isPunct(")")) expect(",");
    }
    pos++;
    return { kind: "call", name: token.v, args, kwargs };
  };

  const expr = parseValue();
  if (pos !== tokens.length) fail("Unexpected text after the expression");
  return expr;
}

/** The literal value of an expression made only of literals and lists; undefined otherwise. */
export function literalOf(expr: Expr): Literal | undefined {
  if (expr.kind === "literal") return expr.value;
  if (expr.kind !== "list") return undefined;
  const items: Literal[] = [];
  for (const item of expr.items) {
    const value = literalOf(item);
    if (value === undefined) return undefined;
    items.push(value);
  }
  return items;
}

/** Every call in an expression tree, outermost first (used to find ref/source without rendering). */
export function callsIn(expr: Expr): Extract<Expr, { kind: "call" }>[] {
  switch (expr.kind) {
    case "call":
      return [expr, ...expr.args.flatMap(callsIn), ...Object.values(expr.kwargs).flatMap(callsIn)];
    case "list":
      return expr.items.flatMap(callsIn);
    case "not":
      return callsIn(expr.operand);
    default:
      return [];
  }
}
