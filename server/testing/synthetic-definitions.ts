/**
 * Synthetic definitions for the server's tests: `syntheticDefinitions(n)` builds n assets in three
 * layers with 1–3 upstream deps each (a deterministic pseudo-random DAG), to measure the lineage
 * layout at the size of a large deployment. Each asset returns a row count as metadata.
 */
import { type Definitions, defineAsset, defineDefinitions } from "../../engine/index.ts";

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

export function syntheticKeys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const layer = i < count * 0.1 ? "bronze" : i < count * 0.4 ? "silver" : "gold";
    return `${layer}/asset_${String(i).padStart(4, "0")}`;
  });
}

export function syntheticDefinitions(count: number, seed = 1): Definitions {
  const next = random(seed);
  const keys = syntheticKeys(count);
  const sources = Math.max(1, Math.floor(count * 0.05));
  const assets = keys.map((key, i) => {
    const deps = new Set<string>();
    if (i >= sources) {
      const fanIn = 1 + Math.floor(next() * 3);
      for (let d = 0; d < fanIn; d++) {
        const window = Math.min(i, 120);
        deps.add(keys[i - 1 - Math.floor(next() * window)] ?? "");
      }
    }
    return defineAsset({
      key,
      group: key.split("/")[0] ?? "default",
      deps: [...deps].filter((dep) => dep !== ""),
      materialize: (ctx) => {
        ctx.addMetadata({ rows: i * 10 });
        return i;
      },
    });
  });
  return defineDefinitions({ assets });
}
