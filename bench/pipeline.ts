/**
 * Pipeline end to end: a 1x file (51,290 generated rows) dropped into the landing zone, then
 * Bronze → Silver → Gold with every data test, timed as one run on a fresh embedded set-up.
 */
import { generateSalesCsv } from "../assets/data-gen/index.ts";
import { PipelineHarness } from "../assets/testing/pipeline-harness.ts";

export async function benchPipeline(print: (line: string) => void = console.log): Promise<void> {
  const generated = generateSalesCsv({ rows: 51_290, seed: 11, errors: 0.01 });
  const csv = new Uint8Array(generated.csv ?? Buffer.alloc(0));
  const phases: string[] = [];
  const times: number[] = [];
  const closes: number[] = [];
  for (let round = 0; round < 2; round++) {
    const h = await PipelineHarness.open();
    let closeStart = 0;
    try {
      const partition = await h.land(`sales_1x_${round}.csv`, csv, Date.now());
      const unsubscribe = h.workspace.materializer.onEvent((event) => {
        if (
          round === 1 &&
          event.type === "STEP_SUCCESS" &&
          typeof event.data === "object" &&
          event.data !== null &&
          "durationMs" in event.data
        ) {
          phases.push(`${event.assetKey}=${String(event.data.durationMs)}ms`);
        }
      });
      const start = performance.now();
      const result = await h.run("*", partition);
      times.push(performance.now() - start);
      unsubscribe();
      if (result.status !== "success") throw new Error(`pipeline run ${result.status}`);
      closeStart = performance.now();
    } finally {
      await h.close();
    }
    closes.push(performance.now() - closeStart);
  }
  const best = Math.min(...times);
  print(
    `pipeline: 1x (51,290 rows) landing → Bronze → Silver → Gold (13 models, all checks): ${best.toFixed(0)} ms (best of 2; goal ≤ 2000 ms)`,
  );
  // Not part of the run: closing the workspace, which checkpoints the warehouse's WAL into its file.
  print(
    `pipeline: workspace close after the run (warehouse checkpoint): ${closes.map((c) => c.toFixed(0)).join(", ")} ms`,
  );
  print(`pipeline: step durations: ${phases.join(", ")}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPipeline();
