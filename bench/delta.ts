/**
 * Delta benchmarks, ratios measured side by side in one run (the machine is shared and noisy):
 *  - open time (snapshot load) of a table at version 1,000 vs one at version 10, both with
 *    checkpoints every 10 commits (goal: ≤ 2×). "Cold" forgets decoded checkpoints before every
 *    open (a process opening the table for the first time); "warm" reuses the checkpoint the
 *    process decoded before (a table reopened by every write), reading only the newer commits.
 *    Opening gives version, protocol, metadata and schema (what an append needs); the live-file
 *    list is decoded on first use, so "open + files" (what a scan or merge needs) is printed too;
 *  - commit time as a share of appending a 51k-row batch (goal: ≤ 5%).
 * Run standalone: npx tsx bench/delta.ts
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pl from "nodejs-polars";
import { clearCheckpointCache, readCheckpoint } from "../resources/delta/checkpoint-reader.ts";
import { DeltaTable } from "../resources/delta/delta-table.ts";
import { listLog } from "../resources/delta/log-listing.ts";
import { loadSnapshot } from "../resources/delta/snapshot.ts";
import { LocalObjectStore } from "../resources/object-store/local-object-store.ts";

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function tinyRow(i: number): pl.DataFrame {
  return pl.DataFrame({ id: [`r${i}`], amount: [i] });
}

/** A Superstore-shaped batch: 51,290 rows of the 24 columns the pipeline ingests. */
function salesBatch(rows: number, seed: number): pl.DataFrame {
  const index = Array.from({ length: rows }, (_, i) => i + seed * rows);
  const pick = (values: readonly string[]) => index.map((i) => values[i % values.length] ?? "");
  return pl
    .DataFrame({
      row_id: index.map(String),
      order_id: index.map((i) => `CA-2024-${100000 + Math.floor(i / 3)}`),
      order_date: index.map((i) => new Date(Date.UTC(2024, 0, 1 + (i % 365)))),
      ship_date: index.map((i) => new Date(Date.UTC(2024, 0, 3 + (i % 365)))),
      ship_mode: pick(["Standard Class", "Second Class", "First Class", "Same Day"]),
      customer_id: index.map((i) => `CG-${12520 + (i % 793)}`),
      customer_name: index.map((i) => `Customer ${i % 793}`),
      segment: pick(["Consumer", "Corporate", "Home Office"]),
      city: index.map((i) => `City ${i % 531}`),
      state: index.map((i) => `State ${i % 49}`),
      country: index.map((i) => `Country ${i % 147}`),
      postal_code: index.map((i) => String(10000 + (i % 8999))),
      market: pick(["US", "EU", "APAC", "LATAM", "Africa"]),
      region: pick(["East", "West", "Central", "South"]),
      product_id: index.map((i) => `OFF-PA-${10000 + (i % 1777)}`),
      category: pick(["FURNITURE", "OFFICE SUPPLIES", "TECHNOLOGY"]),
      sub_category: pick(["PAPER", "BINDERS", "PHONES", "CHAIRS", "STORAGE", "ART"]),
      product_name: index.map((i) => `Product name number ${i % 1777} with a longer description`),
      sales: index.map((i) => (i % 997) * 1.37),
      quantity: index.map((i) => String(1 + (i % 9))),
      discount: index.map((i) => (i % 5) / 10),
      profit: index.map((i) => (i % 211) - 50.5),
      shipping_cost: index.map((i) => (i % 97) * 0.31),
      order_priority: pick(["Critical", "High", "Medium", "Low"]),
    })
    .withColumns(
      pl.col("quantity").cast(pl.Int64),
      pl.col("order_date").cast(pl.Date),
      pl.col("ship_date").cast(pl.Date),
    );
}

/** `commits` appends of `rowsPerCommit` rows, one data file per row, checkpoint every 10 commits. */
async function buildTable(
  store: LocalObjectStore,
  root: string,
  commits: number,
  rowsPerCommit = 1,
): Promise<DeltaTable> {
  const table = DeltaTable.forPath(store, root);
  await table.create({ schema: tinyRow(0), properties: { "delta.checkpointInterval": "10" } });
  for (let i = 1; i <= commits; i++) {
    const frame = pl.concat(Array.from({ length: rowsPerCommit }, (_, r) => tinyRow(i * rowsPerCommit + r)));
    await table.append(frame, { maxRowsPerFile: 1 });
  }
  return table;
}

export async function benchDelta(print: (line: string) => void = console.log): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "strata-bench-delta-"));
  try {
    const store = new LocalObjectStore(dir);
    const built = performance.now();
    await buildTable(store, "v10", 10);
    await buildTable(store, "v1000", 1000);
    // Version 10 holding as many live files as version 1,000: isolates the log's length from the table's size.
    await buildTable(store, "v10-1000files", 10, 100);
    print(
      `delta: built tables at version 10 (10 and 1,000 files) and 1,000 (1,000 files), checkpoint every 10, in ${((performance.now() - built) / 1000).toFixed(1)} s`,
    );

    // The same 1,000-version log without its checkpoints: what checkpoints save.
    await cp(join(dir, "v1000"), join(dir, "v1000-nocp"), {
      recursive: true,
      filter: (source) => !/checkpoint/.test(source),
    });
    const roots = ["v10", "v10-1000files", "v1000", "v1000-nocp"];
    /** Median open time per table, each round opening them all in a rotated order (noise falls on every side alike). */
    const measureOpens = async (cold: boolean, withFiles: boolean): Promise<(root: string) => number> => {
      const timings = new Map<string, number[]>(roots.map((root) => [root, []]));
      let files = 0;
      for (let round = 0; round < 15; round++) {
        for (let k = 0; k < roots.length; k++) {
          const root = roots[(k + round) % roots.length] ?? "v10";
          if (cold) clearCheckpointCache();
          const started = performance.now();
          const snapshot = await loadSnapshot(store, root, {});
          if (withFiles) files += snapshot.files.length;
          timings.get(root)?.push(performance.now() - started);
        }
      }
      if (withFiles && files === 0) throw new Error("no live files listed");
      return (root) => median(timings.get(root) ?? []);
    };
    const coldOpen = await measureOpens(true, false);
    const warmOpen = await measureOpens(false, false);
    const coldWithFiles = await measureOpens(true, true);
    const warmWithFiles = await measureOpens(false, true);
    const ratioLine = (label: string, open: (root: string) => number, small: string, goal: boolean) => {
      const ratio = open("v1000") / open(small);
      const verdict = goal ? ` (goal <= 2x) ${ratio <= 2 ? "OK" : "MISSED"}` : "";
      return `${label}: v10 ${open(small).toFixed(2)} ms, v1000 ${open("v1000").toFixed(2)} ms, ratio ${ratio.toFixed(2)}x${verdict}`;
    };
    print(ratioLine("delta open cold, same table size (1,000 live files)", coldOpen, "v10-1000files", true));
    print(
      ratioLine("delta open cold, table grown by appends (10 vs 1,000 live files)", coldOpen, "v10", true),
    );
    print(ratioLine("delta open warm, same table size (1,000 live files)", warmOpen, "v10-1000files", false));
    print(
      ratioLine("delta open warm, table grown by appends (10 vs 1,000 live files)", warmOpen, "v10", false),
    );
    print(
      ratioLine(
        "delta open + live file list cold, same table size (1,000 live files)",
        coldWithFiles,
        "v10-1000files",
        false,
      ),
    );
    print(
      ratioLine(
        "delta open + live file list cold, table grown by appends (10 vs 1,000 live files)",
        coldWithFiles,
        "v10",
        false,
      ),
    );
    print(
      ratioLine(
        "delta open + live file list warm, table grown by appends (10 vs 1,000 live files)",
        warmWithFiles,
        "v10",
        false,
      ),
    );

    const v1000Log = await listLog(store, "v1000");
    const checkpoint = v1000Log.checkpoints.get(1000);
    const lists: number[] = [];
    const decodes: number[] = [];
    for (let i = 0; i < 15; i++) {
      const listed = performance.now();
      await listLog(store, "v1000", 1000);
      lists.push(performance.now() - listed);
      clearCheckpointCache();
      const decoding = performance.now();
      if (checkpoint !== undefined) await readCheckpoint(store, checkpoint);
      decodes.push(performance.now() - decoding);
    }
    const listMs = median(lists);
    const decodeMs = median(decodes);
    print(
      `delta open detail (cold v1000): listing _delta_log after the checkpoint (${v1000Log.commits.size + v1000Log.checkpoints.size} objects in the directory; opening probes _last_checkpoint's successors instead) ${listMs.toFixed(2)} ms, decoding every action of the 1,000-file checkpoint ${decodeMs.toFixed(2)} ms; without checkpoints, open + files ${coldWithFiles("v1000-nocp").toFixed(2)} ms (${(coldWithFiles("v1000-nocp") / coldWithFiles("v1000")).toFixed(1)}x the checkpointed open + files)`,
    );

    const sales = DeltaTable.forPath(store, "sales");
    await sales.create({ schema: salesBatch(1, 0), partitionColumns: [] });
    const shares: number[] = [];
    const appendShares: number[] = [];
    const writes: number[] = [];
    const commits: number[] = [];
    const appends: number[] = [];
    for (let round = 0; round < 7; round++) {
      const batch = salesBatch(51_290, round);
      const started = performance.now();
      const result = await sales.append(batch);
      const total = performance.now() - started;
      const { writeFilesMs, commitMs } = result.timings;
      writes.push(writeFilesMs);
      commits.push(commitMs);
      appends.push(total);
      shares.push(commitMs / (writeFilesMs + commitMs));
      appendShares.push(commitMs / total);
    }
    const share = median(appendShares);
    print(
      `delta commit share of a 51,290-row x 24-column append: append ${median(appends).toFixed(1)} ms (data files ${median(writes).toFixed(1)} ms), commit ${median(commits).toFixed(2)} ms, share ${(share * 100).toFixed(2)}% of the append (goal <= 5%) ${share <= 0.05 ? "OK" : "MISSED"}; ${(median(shares) * 100).toFixed(2)}% of data-file writing alone`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchDelta();
}
