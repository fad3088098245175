import type { Workspace } from "../engine/index.ts";
import { type Layout, layoutDag } from "./layout/dag-layout.ts";

export interface Lineage {
  readonly layout: Layout;
  readonly groups: ReadonlyMap<string, string | null>;
  readonly layoutMs: number;
}

/**
 * The asset graph laid out once per workspace: definitions are immutable while the server runs,
 * so the layout is computed on first use and reused (statuses are overlaid by the page).
 */
const cache = new WeakMap<Workspace, Lineage>();

export function lineageOf(workspace: Workspace): Lineage {
  const cached = cache.get(workspace);
  if (cached) return cached;
  const graph = workspace.definitions.graph;
  const started = performance.now();
  const edges = graph.order.flatMap((key) => graph.upstream(key).map((from) => ({ from, to: key })));
  // Boxes as wide as the longest key needs (about 7 px a character at 12 px), within bounds.
  const longest = Math.max(0, ...graph.order.map((key) => key.length));
  const layout = layoutDag(graph.order, edges, {
    nodeWidth: Math.min(260, Math.max(140, longest * 7 + 24)),
    rankGap: 70,
  });
  const groups = new Map(graph.order.map((key) => [key, graph.definition(key).spec.group ?? null]));
  const lineage = { layout, groups, layoutMs: performance.now() - started };
  cache.set(workspace, lineage);
  return lineage;
}

export function lineageJson(workspace: Workspace) {
  const { layout, groups, layoutMs } = lineageOf(workspace);
  return {
    width: layout.width,
    height: layout.height,
    layoutMs,
    nodes: layout.nodes.map((node) => ({
      key: node.id,
      layer: node.id.split("/")[0] ?? "",
      group: groups.get(node.id) ?? null,
      rank: node.rank,
      x: node.x,
      y: node.y,
    })),
    edges: layout.edges.map((edge) => ({ from: edge.from, to: edge.to, points: edge.points })),
  };
}
