/**
 * Server benchmark: `strata dev` start-up (process start → listening, as it prints it) next to
 * `strata list` (same process start and definitions, no server), interleaved; and the lineage
 * layout at 100 and 1,000 assets. Prints ratios: the machine is shared, absolute times drift.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { layoutDag } from "../server/layout/dag-layout.ts";
import { syntheticDefinitions } from "../server/testing/synthetic-definitions.ts";

const ROOT = new URL("..", import.meta.url).pathname;

function strata(args: readonly string[], home: string, until?: RegExp): Promise<{ ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(ROOT, "bin/strata.js"), ...args], {
      cwd: ROOT,
      env: { ...process.env, STRATA_HOME: home },
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (until?.test(out)) child.kill("SIGTERM");
    });
    child.on("error", reject);
    child.on("exit", () => resolve({ ms: performance.now() - started, out }));
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function layoutMs(count: number): number {
  const ids: string[] = [];
  const edges: { from: string; to: string }[] = [];
  for (const entry of syntheticDefinitions(count).assets) {
    if (!("spec" in entry)) continue;
    const key = entry.spec.keys[0] ?? "";
    ids.push(key);
    for (const dep of entry.spec.deps) edges.push({ from: dep, to: key });
  }
  const started = performance.now();
  layoutDag(ids, edges);
  return performance.now() - started;
}

export async function benchServer(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "strata-bench-server-"));
  try {
    const dev: number[] = [];
    const list: number[] = [];
    await strata(["list"], home); // warm the transform cache and create the state dir
    for (let i = 0; i < 3; i++) {
      const run = await strata(["dev", "--port", "0", "--no-daemon"], home, /started in \d+ ms/);
      dev.push(Number(/started in (\d+) ms/.exec(run.out)?.[1]));
      list.push((await strata(["list"], home)).ms);
    }
    const d = median(dev);
    const l = median(list);
    console.log(
      `strata dev start-up ${d.toFixed(0)} ms (process start → listening) vs strata list ${l.toFixed(0)} ms (whole run): ${(d / l).toFixed(2)}x`,
    );
    const small = median([layoutMs(100), layoutMs(100), layoutMs(100)]);
    const large = median([layoutMs(1000), layoutMs(1000), layoutMs(1000)]);
    console.log(
      `lineage layout: 1,000 assets ${large.toFixed(0)} ms vs 100 assets ${small.toFixed(1)} ms: ${(large / small).toFixed(1)}x for 10x the assets`,
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
