/**
 * Delta benchmarks, ratios measured side by side in one run (the machine is shared and noisy):
 *  - open time (snapshot load) of a table at version 1,000 vs one at version 10, both with
 *    checkpoints every 10 commits (goal: ≤ 2×);
 *  - commit time as a share of appending a 51k-row batch (goal: ≤ 5%).
 * Run standalone: npx tsx bench/delta.ts
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pl from "nodejs-polars";
import { DeltaTable } from "../resources/delta/delta-table.ts";
import { loadSnapshot } from "../resources/delta/snapshot.ts";
import { LocalObjectStore } from "../resources/object-store/local-object-store.ts";

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function tinyRow(i: number): pl.DataFrame {
  return pl.DataFrame({ id: [`r${i}`], amount: [i] });
}

/** A Superstore-shaped batch: 51,290 rows, a mix of strings, numbers and dates. */
function salesBatch(rows: number, seed: number): pl.DataFrame {
  const index = Array.from({ length: rows }, (_, i) => i + seed * rows);
  return pl
    .DataFrame({
      order_id: index.map((i) => `CA-2024-${100000 + i}`),
      product_id: index.map((i) => `OFF-PA-${10000 + (i % 1777)}`),
      customer_name: index.map((i) => `Customer ${i % 793}`),
      segment: index.map((i) => ["Consumer", "Corporate", "Home Office"][i % 3] ?? ""),
      city: index.map((i) => `City ${i % 531}`),
      region: index.map((i) => ["East", "West", "Central", "South"][i % 4] ?? ""),
      category: index.map((i) => ["FURNITURE", "OFFICE SUPPLIES", "TECHNOLOGY"][i % 3] ?? ""),
      sales: index.map((i) => (i % 997) * 1.37),
      quantity: index.map((i) => String(1 + (i % 9))),
      discount: index.map((i) => (i % 5) / 10),
      profit: index.map((i) => (i % 211) - 50.5),
      order_date: index.map((i) => new Date(Date.UTC(2024, 0, 1 + (i % 365)))),
    })
    .withColumns(pl.col("quantity").cast(pl.Int64), pl.col("order_date").cast(pl.Date));
}

async function buildTable(store: LocalObjectStore, root: string, commits: number): Promise<DeltaTable> {
  const table = DeltaTable.forPath(store, root);
  await table.create({ schema: tinyRow(0), properties: { "delta.checkpointInterval": "10" } });
  for (let i = 1; i <= commits; i++) await table.append(tinyRow(i));
  return table;
}

export async function benchDelta(print: (line: string) => void = console.log): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "strata-bench-delta-"));
  try {
    const store = new LocalObjectStore(dir);
    const built = performance.now();
    await buildTable(store, "v10", 10);
    await buildTable(store, "v1000", 1000);
    print(
      `delta: built tables at version 10 and 1,000 (checkpoint every 10) in ${((performance.now() - built) / 1000).toFixed(1)} s`,
    );

    const small: number[] = [];
    const large: number[] = [];
    for (let round = 0; round < 15; round++) {
      // Alternate the order so warm-up and noise fall on both sides alike.
      const order = round % 2 === 0 ? ["v10", "v1000"] : ["v1000", "v10"];
      for (const root of order) {
        const started = performance.now();
        await loadSnapshot(store, root, {});
        (root === "v10" ? small : large).push(performance.now() - started);
      }
    }
    const openRatio = median(large) / median(small);
    print(
      `delta open: v10 ${median(small).toFixed(2)} ms, v1000 ${median(large).toFixed(2)} ms, ratio ${openRatio.toFixed(2)}x (goal <= 2x) ${openRatio <= 2 ? "OK" : "MISSED"}`,
    );

    const sales = DeltaTable.forPath(store, "sales");
    await sales.create({ schema: salesBatch(1, 0), partitionColumns: [] });
    const shares: number[] = [];
    const writes: number[] = [];
    const commits: number[] = [];
    for (let round = 0; round < 5; round++) {
      const batch = salesBatch(51_290, round);
      const result = await sales.append(batch);
      writes.push(result.timings.writeFilesMs);
      commits.push(result.timings.commitMs);
      shares.push(result.timings.commitMs / (result.timings.writeFilesMs + result.timings.commitMs));
    }
    const share = median(shares);
    print(
      `delta commit share of a 51,290-row append: write files ${median(writes).toFixed(1)} ms, commit ${median(commits).toFixed(2)} ms, share ${(share * 100).toFixed(2)}% (goal <= 5%) ${share <= 0.05 ? "OK" : "MISSED"}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchDelta();
}
