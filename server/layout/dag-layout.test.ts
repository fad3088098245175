import { describe, expect, test } from "vitest";
import { syntheticDefinitions } from "../testing/synthetic-definitions.ts";
import { crossingsBetween, layoutDag, longestPathRanks, spacedPositions } from "./dag-layout.ts";

describe("layered DAG layout", () => {
  test("longest-path ranks put every node one column after its deepest parent", () => {
    // a→b→c, a→c: c is at rank 2, not 1
    expect(
      longestPathRanks(3, [
        [0, 1],
        [1, 2],
        [0, 2],
      ]),
    ).toEqual([0, 1, 2]);
    expect(() =>
      longestPathRanks(2, [
        [0, 1],
        [1, 0],
      ]),
    ).toThrow(/acyclic/);
  });

  test("crossings between two ranks are counted exactly", () => {
    expect(
      crossingsBetween(
        [
          [0, 1],
          [1, 0],
        ],
        2,
      ),
    ).toBe(1);
    expect(
      crossingsBetween(
        [
          [0, 0],
          [1, 1],
          [2, 2],
        ],
        3,
      ),
    ).toBe(0);
    expect(
      crossingsBetween(
        [
          [0, 2],
          [1, 1],
          [2, 0],
        ],
        3,
      ),
    ).toBe(3);
  });

  test("spaced positions keep the minimum gap and stay closest to the targets", () => {
    expect(spacedPositions([0, 100], [10])).toEqual([0, 100]);
    expect(spacedPositions([50, 50], [10])).toEqual([45, 55]);
    expect(spacedPositions([0, 0, 0], [10, 10])).toEqual([-10, 0, 10]);
  });

  test("barycentric ordering removes the crossings of a crossed bipartite graph", () => {
    // a1→b2, a2→b1 is laid out uncrossed
    const layout = layoutDag(
      ["a/one", "a/two", "b/one", "b/two"],
      [
        { from: "a/one", to: "b/two" },
        { from: "a/two", to: "b/one" },
      ],
    );
    expect(layout.crossings).toBe(0);
    const y = new Map(layout.nodes.map((n) => [n.id, n.y]));
    expect(Math.sign((y.get("a/one") ?? 0) - (y.get("a/two") ?? 0))).toBe(
      Math.sign((y.get("b/two") ?? 0) - (y.get("b/one") ?? 0)),
    );
  });

  test("long edges are routed through one dummy per crossed rank; nodes of a rank never overlap", () => {
    const layout = layoutDag(
      ["x/a", "x/b", "x/c", "x/d"],
      [
        { from: "x/a", to: "x/b" },
        { from: "x/b", to: "x/c" },
        { from: "x/a", to: "x/c" },
        { from: "x/a", to: "x/d" },
        { from: "x/c", to: "x/d" },
      ],
    );
    const ad = layout.edges.find((e) => e.from === "x/a" && e.to === "x/d");
    expect(ad?.points.length).toBe(2 + 2 * 2); // two dummies (ranks 1 and 2), two points each
    for (const node of layout.nodes) expect(node.x).toBeGreaterThanOrEqual(0);
    for (const rank of new Set(layout.nodes.map((n) => n.rank))) {
      const ys = layout.nodes
        .filter((n) => n.rank === rank)
        .map((n) => n.y)
        .sort((a, b) => a - b);
      for (let i = 1; i < ys.length; i++)
        expect((ys[i] ?? 0) - (ys[i - 1] ?? 0)).toBeGreaterThanOrEqual(layout.nodeHeight);
    }
  });

  test("a 1,000-asset synthetic graph lays out with every edge pointing right", () => {
    const assets = syntheticDefinitions(1000).assets;
    const ids: string[] = [];
    const edges: { from: string; to: string }[] = [];
    for (const entry of assets) {
      if (!("spec" in entry)) continue;
      const key = entry.spec.keys[0] ?? "";
      ids.push(key);
      for (const dep of entry.spec.deps) edges.push({ from: dep, to: key });
    }
    const started = performance.now();
    const layout = layoutDag(ids, edges);
    console.log(
      `layout of ${ids.length} assets, ${edges.length} edges: ${(performance.now() - started).toFixed(0)} ms, ${layout.crossings} crossings`,
    );
    expect(layout.nodes).toHaveLength(1000);
    const rank = new Map(layout.nodes.map((n) => [n.id, n.rank]));
    for (const edge of edges) expect(rank.get(edge.to) ?? 0).toBeGreaterThan(rank.get(edge.from) ?? 0);
  });
});
