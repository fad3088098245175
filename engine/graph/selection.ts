import type { AssetKey } from "../definitions/asset-key.ts";
import { layerOf } from "../definitions/asset-key.ts";
import { quote, StrataError } from "../errors.ts";
import type { AssetGraph } from "./asset-graph.ts";
import { didYouMean } from "./did-you-mean.ts";

/**
 * Asset selection grammar (comma-separated union of terms):
 *   *                all assets
 *   silver/sales     one key;  gold/*  a key pattern
 *   +key  N+key      the key and its ancestors (all, or up to N levels)
 *   key+  key+N      the key and its descendants
 *   layer:silver  group:marts  tag:pii  tag:owner=finance
 * Returns matching keys in topological order.
 */
export function selectAssets(graph: AssetGraph, selection: string): AssetKey[] {
  const terms = selection
    .split(",")
    .map((term) => term.trim())
    .filter((term) => term !== "");
  if (terms.length === 0) throw invalid(selection, "it is empty");
  const chosen = new Set<AssetKey>();
  for (const term of terms) {
    const matched = selectTerm(graph, term);
    if (matched.length === 0) throw invalid(term, "it matches no asset");
    for (const key of matched) chosen.add(key);
  }
  return graph.order.filter((key) => chosen.has(key));
}

function invalid(term: string, why: string, hint = ""): StrataError {
  return new StrataError(
    "STRATA_ERR_INVALID_SELECTION",
    `selection ${quote(term)} is invalid: ${why}.${hint}`,
    {
      selection: term,
    },
  );
}

const TRAVERSAL = /^(?:(\d*)\+)?([^+]+?)(?:\+(\d*))?$/;

function selectTerm(graph: AssetGraph, term: string): AssetKey[] {
  if (term === "*") return [...graph.order];
  const attribute = /^(layer|group|tag):(.+)$/.exec(term);
  if (attribute) return selectByAttribute(graph, attribute[1] ?? "", attribute[2] ?? "");
  const match = TRAVERSAL.exec(term);
  if (!match) throw invalid(term, "it does not parse");
  const [, upDepth, pattern = "", downDepth] = match;
  const roots = matchKeys(graph, pattern, term);
  const depth = (text: string | undefined): number =>
    text === undefined ? 0 : text === "" ? Number.POSITIVE_INFINITY : Number(text);
  const result = new Set<AssetKey>(roots);
  for (const root of roots) {
    if (term.match(/^\d*\+/)) for (const key of graph.reach(root, "up", depth(upDepth))) result.add(key);
    if (term.match(/\+\d*$/)) for (const key of graph.reach(root, "down", depth(downDepth))) result.add(key);
  }
  return [...result];
}

function matchKeys(graph: AssetGraph, pattern: string, term: string): AssetKey[] {
  if (pattern.includes("*")) {
    const escaped = pattern.replace(/[.?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    const regex = new RegExp(`^${escaped}$`);
    return graph.order.filter((key) => regex.test(key));
  }
  if (!graph.has(pattern))
    throw invalid(term, `no asset has key ${quote(pattern)}`, didYouMean(pattern, graph.order));
  return [pattern];
}

function selectByAttribute(graph: AssetGraph, kind: string, value: string): AssetKey[] {
  return graph.order.filter((key) => {
    const spec = graph.definition(key).spec;
    if (kind === "layer") return layerOf(key) === value;
    if (kind === "group") return spec.group === value;
    const [tag, expected] = value.split("=", 2);
    const actual = tag === undefined ? undefined : spec.tags[tag];
    return actual !== undefined && (expected === undefined || actual === expected);
  });
}
