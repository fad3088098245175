/**
 * Model and test files are SQL with Jinja-looking tags: `{{ expr }}` prints, `{% if expr %} … {% else %}
 * … {% endif %}` chooses, `{# … #}` is a comment. Parsed once at load time into nodes so that
 * dependencies can be listed from every branch and syntax errors surface before any run.
 */
import { quote, StrataError } from "../../../engine/errors.ts";
import { callsIn, type Expr, parseExpression } from "./expression.ts";

export type TemplateNode =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "print"; readonly expr: Expr }
  | {
      readonly kind: "if";
      readonly condition: Expr;
      readonly body: TemplateNode[];
      readonly otherwise: TemplateNode[];
    };

const TAG = /\{\{-?([\s\S]*?)-?\}\}|\{%-?([\s\S]*?)-?%\}|\{#[\s\S]*?#\}/g;

export function parseTemplate(text: string, where: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  // Open `if` blocks: the list currently receiving nodes, and the block itself.
  const stack: {
    target: TemplateNode[];
    block: { body: TemplateNode[]; otherwise: TemplateNode[] };
    inElse: boolean;
  }[] = [];
  const target = (): TemplateNode[] => {
    const top = stack[stack.length - 1];
    if (top === undefined) return root;
    return top.inElse ? top.block.otherwise : top.block.body;
  };
  let last = 0;
  for (const match of text.matchAll(TAG)) {
    const index = match.index;
    if (index > last) target().push({ kind: "text", text: text.slice(last, index) });
    last = index + match[0].length;
    const line = text.slice(0, index).split("\n").length;
    const at = `${where}:${line}`;
    if (match[1] !== undefined) {
      target().push({ kind: "print", expr: parseExpression(match[1], at) });
    } else if (match[2] !== undefined) {
      const statement = match[2].trim();
      const [keyword = "", ...rest] = statement.split(/\s+/);
      if (keyword === "if") {
        const node = {
          kind: "if" as const,
          condition: parseExpression(rest.join(" "), at),
          body: [],
          otherwise: [],
        };
        target().push(node);
        stack.push({ target: target(), block: node, inElse: false });
      } else if (keyword === "else" && rest.length === 0) {
        const top = stack[stack.length - 1];
        if (top === undefined || top.inElse) throw misplaced(statement, at);
        top.inElse = true;
      } else if (keyword === "endif" && rest.length === 0) {
        if (stack.pop() === undefined) throw misplaced(statement, at);
      } else {
        throw new StrataError(
          "STRATA_ERR_SQL_PROJECT",
          `Unknown statement tag {% ${statement} %} at ${at}; only if / else / endif are supported.`,
        );
      }
    }
  }
  if (stack.length > 0) {
    throw new StrataError(
      "STRATA_ERR_SQL_PROJECT",
      `An {% if %} block is not closed with {% endif %} in ${where}.`,
    );
  }
  if (last < text.length) root.push({ kind: "text", text: text.slice(last) });
  return root;
}

function misplaced(statement: string, at: string): StrataError {
  return new StrataError("STRATA_ERR_SQL_PROJECT", `{% ${statement} %} at ${at} has no matching {% if %}.`, {
    tag: quote(statement),
  });
}

/** Every call in every branch: what the file could reference, whichever way its conditions go. */
export function templateCalls(nodes: readonly TemplateNode[]): Extract<Expr, { kind: "call" }>[] {
  return nodes.flatMap((node) => {
    if (node.kind === "print") return callsIn(node.expr);
    if (node.kind === "if")
      return [...callsIn(node.condition), ...templateCalls(node.body), ...templateCalls(node.otherwise)];
    return [];
  });
}

export type Evaluate = (expr: Expr) => string | number | boolean;

export function renderTemplate(nodes: readonly TemplateNode[], evaluate: Evaluate): string {
  let out = "";
  for (const node of nodes) {
    if (node.kind === "text") out += node.text;
    else if (node.kind === "print") out += String(evaluate(node.expr));
    else out += renderTemplate(evaluate(node.condition) === true ? node.body : node.otherwise, evaluate);
  }
  return out;
}
