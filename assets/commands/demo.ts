import { fileURLToPath } from "node:url";
import { type CliCommand, parseFlags } from "../../engine/index.ts";
import { ingestFiles } from "./ingest.ts";
import { printSummary } from "./summary.ts";

export const SAMPLE_CSV = fileURLToPath(
  new URL("../../data/sample/global_superstore_sample.csv", import.meta.url),
);

/** The README's first command: the whole pipeline on the bundled real sample, then the summary. */
export const demoCommand: CliCommand = {
  summary: "Run the whole pipeline on the bundled sample data and print a summary",
  usage: "strata demo",
  async run(args, io, open) {
    parseFlags(args, {}, this.usage);
    const workspace = await open();
    const code = await ingestFiles(workspace, [SAMPLE_CSV], io);
    const summary = await printSummary(workspace, io);
    return code === 0 && summary.checks.failedError === 0 ? 0 : 1;
  },
};
