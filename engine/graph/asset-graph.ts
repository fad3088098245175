import type { AssetDefinition } from "../definitions/asset.ts";
import type { AssetKey } from "../definitions/asset-key.ts";
import { quote, StrataError } from "../errors.ts";
import { didYouMean } from "./did-you-mean.ts";

/**
 * The validated asset graph: every key, the definition that materialises it, and the edges from
 * inputs and ordering deps. Built once when definitions load; immutable afterwards.
 */
export class AssetGraph {
  readonly definitions: readonly AssetDefinition[];
  private readonly byKey = new Map<string, AssetDefinition>();
  private readonly parents = new Map<AssetKey, AssetKey[]>();
  private readonly children = new Map<AssetKey, AssetKey[]>();
  /** Every key in a deterministic topological order (upstream first, ties by key). */
  readonly order: readonly AssetKey[];

  constructor(definitions: readonly AssetDefinition[]) {
    this.definitions = definitions;
    for (const definition of definitions) {
      for (const key of definition.spec.keys) {
        if (this.byKey.has(key)) {
          throw new StrataError(
            "STRATA_ERR_DUPLICATE_ASSET_KEY",
            `asset key ${quote(key)} is declared twice.`,
            { key },
          );
        }
        this.byKey.set(key, definition);
      }
    }
    for (const definition of definitions) for (const key of definition.spec.keys) this.link(key, definition);
    this.order = this.topologicalOrder();
  }

  private link(key: AssetKey, definition: AssetDefinition): void {
    {
      const upstream = [
        ...new Set([...definition.spec.inputs.map((input) => input.key), ...definition.spec.deps]),
      ];
      for (const parent of upstream) {
        if (!this.byKey.has(parent)) {
          throw new StrataError(
            "STRATA_ERR_UNKNOWN_DEPENDENCY",
            `asset ${quote(key)} depends on ${quote(parent)}, which no asset declares.${didYouMean(parent, this.byKey.keys())}`,
            { key, dependency: parent },
          );
        }
        if (!this.children.has(parent)) this.children.set(parent, []);
        this.children.get(parent)?.push(key);
      }
      this.parents.set(key, upstream);
    }
  }

  get keys(): readonly AssetKey[] {
    return this.order;
  }

  has(key: string): key is AssetKey {
    return this.byKey.has(key);
  }

  definition(key: AssetKey): AssetDefinition {
    const definition = this.byKey.get(key);
    if (!definition) throw new StrataError("STRATA_ERR_INVALID_SELECTION", `no asset has key ${quote(key)}.`);
    return definition;
  }

  upstream(key: AssetKey): readonly AssetKey[] {
    return this.parents.get(key) ?? [];
  }

  downstream(key: AssetKey): readonly AssetKey[] {
    return this.children.get(key) ?? [];
  }

  /** Keys reachable upstream (or downstream) within `depth` edges, excluding the start. */
  reach(start: AssetKey, direction: "up" | "down", depth = Number.POSITIVE_INFINITY): Set<AssetKey> {
    const seen = new Set<AssetKey>();
    let frontier = [start];
    for (let level = 0; level < depth && frontier.length > 0; level++) {
      const next: AssetKey[] = [];
      for (const key of frontier) {
        for (const neighbour of direction === "up" ? this.upstream(key) : this.downstream(key)) {
          if (!seen.has(neighbour)) {
            seen.add(neighbour);
            next.push(neighbour);
          }
        }
      }
      frontier = next;
    }
    return seen;
  }

  private topologicalOrder(): AssetKey[] {
    const remaining = new Map<AssetKey, number>();
    for (const definition of this.definitions) {
      for (const key of definition.spec.keys) remaining.set(key, this.upstream(key).length);
    }
    const ready = [...remaining]
      .filter(([, count]) => count === 0)
      .map(([key]) => key)
      .sort();
    const order: AssetKey[] = [];
    while (ready.length > 0) {
      const key = ready.shift();
      if (key === undefined) break;
      order.push(key);
      const released: AssetKey[] = [];
      for (const child of this.downstream(key)) {
        const count = (remaining.get(child) ?? 0) - 1;
        remaining.set(child, count);
        if (count === 0) released.push(child);
      }
      ready.push(...released);
      ready.sort();
    }
    if (order.length < this.byKey.size) {
      const path = this.findCycle(new Set(order));
      throw new StrataError("STRATA_ERR_DEPENDENCY_CYCLE", `assets form a cycle: ${path.join(" -> ")}.`, {
        path,
      });
    }
    return order;
  }

  /** A concrete cycle among the keys not ordered, for the error message. */
  private findCycle(ordered: ReadonlySet<AssetKey>): AssetKey[] {
    const start = [...this.parents.keys()].filter((key) => !ordered.has(key)).sort()[0];
    const path: AssetKey[] = [];
    const onPath = new Map<AssetKey, number>();
    let key = start;
    while (key !== undefined && !onPath.has(key)) {
      onPath.set(key, path.length);
      path.push(key);
      key = this.upstream(key).find((parent) => !ordered.has(parent));
    }
    if (key === undefined) return path;
    const cycle = path.slice(onPath.get(key) ?? 0);
    return [...cycle, key].reverse();
  }
}
