/**
 * Engine overhead: materialising 1,000 no-op assets in one run (goal < 1 s) and the fixed cost of
 * one run of a single no-op asset (goal < 50 ms), with SQLite run storage on disk and the default
 * file IO manager, as `strata materialize` uses them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AssetDefinition } from "../engine/definitions/asset.ts";
import { defineAsset } from "../engine/definitions/define.ts";
import { loadDefinitions } from "../engine/definitions/definitions.ts";
import { Materializer } from "../engine/execution/materializer.ts";
import { SqliteRunStorage } from "../engine/storage/sqlite-storage.ts";

/** 1,000 assets in 10 layers of 100; each depends on two assets of the layer above. */
function wideGraph(layers: number, width: number): AssetDefinition[] {
  const assets: AssetDefinition[] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (let i = 0; i < width; i++) {
      const deps = layer === 0 ? [] : [`l${layer - 1}/a${i}`, `l${layer - 1}/a${(i + 1) % width}`];
      assets.push(defineAsset({ key: `l${layer}/a${i}`, deps, materialize: () => i }));
    }
  }
  return assets;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

export async function benchEngine(print: (line: string) => void = console.log): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "strata-bench-engine-"));
  try {
    const storage = SqliteRunStorage.open(join(dir, "runs.sqlite"));
    const definitions = loadDefinitions({ assets: wideGraph(10, 100) });
    const materializer = new Materializer(definitions, storage, { stateDir: dir, concurrency: 8 });
    await materializer.materialize({ selection: "l0/a0" }); // warm-up: module JIT, SQLite pages
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      const result = await materializer.materialize({ selection: "*" });
      times.push(performance.now() - start);
      if (result.status !== "success" || result.steps.size !== 1000)
        throw new Error(`bench run ${result.status}`);
    }
    print(
      `engine: 1,000 no-op assets in one run: median ${median(times).toFixed(0)} ms over 3 runs (goal < 1000 ms) — ${(median(times) / 1000).toFixed(2)} ms/asset`,
    );
    const single: number[] = [];
    for (let i = 0; i < 30; i++) {
      const start = performance.now();
      await materializer.materialize({ selection: "l0/a0" });
      single.push(performance.now() - start);
    }
    print(
      `engine: per-run overhead (1 no-op asset, submit → success): median ${median(single).toFixed(1)} ms over 30 runs (goal < 50 ms)`,
    );
    await storage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchEngine();
