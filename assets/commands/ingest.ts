import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import {
  type CliCommand,
  ProgressDisplay,
  parseFlags,
  quote,
  StrataError,
  type Workspace,
} from "../../engine/index.ts";
import { LAKE } from "../../resources/tokens.ts";
import { LANDING_PREFIX } from "../bronze/sales-csv.ts";
import { dayOf } from "../shared/partitions.ts";
import { printSummary } from "./summary.ts";

const usage = "strata ingest <file.csv|directory>... [--no-summary]";

function csvFiles(paths: readonly string[]): string[] {
  return paths.flatMap((path) => {
    let info: ReturnType<typeof statSync>;
    try {
      info = statSync(path);
    } catch {
      throw new StrataError("STRATA_ERR_USAGE", `input ${quote(path)} does not exist.`);
    }
    if (!info.isDirectory()) return [path];
    return readdirSync(path)
      .filter((name) => name.toLowerCase().endsWith(".csv"))
      .sort()
      .map((name) => join(path, name));
  });
}

/** Drop files into the landing zone, then run Bronze → Silver → Gold for today's ingestion day. */
export async function ingestFiles(
  workspace: Workspace,
  files: readonly string[],
  io: Parameters<CliCommand["run"]>[1],
): Promise<number> {
  const lake = workspace.definitions.scope.resolve(LAKE);
  for (const file of files) {
    await lake.put(`${LANDING_PREFIX}${basename(file)}`, new Uint8Array(readFileSync(file)), {
      contentType: "text/csv",
    });
    io.out(`landed ${file} → ${lake.url}/${LANDING_PREFIX}${basename(file)}`);
  }
  const partition = dayOf(workspace.clock.now());
  const selection = "*"; // bronze and silver for the day, and every gold model (dim_date has no upstream)
  const progress = new ProgressDisplay(io, workspace.definitions.graph.order.length);
  const unsubscribe = workspace.materializer.onEvent(progress.onEvent);
  try {
    const result = await workspace.materializer.materialize({
      selection,
      partition,
      origin: { kind: "manual", name: "ingest" },
    });
    progress.stop();
    io.out(`run ${result.runId} ${result.status.toUpperCase()}`);
    return result.status === "success" ? 0 : 1;
  } finally {
    progress.stop();
    unsubscribe();
  }
}

export const ingestCommand: CliCommand = {
  summary: "Ingest CSV files named on the command line: landing → Bronze → Silver → Gold",
  usage,
  async run(args, io, open) {
    const parsed = parseFlags(args, { "no-summary": { type: "boolean" }, quiet: { type: "boolean" } }, usage);
    if (parsed.positionals.length === 0)
      throw new StrataError("STRATA_ERR_USAGE", `name at least one file or directory. Usage: ${usage}`);
    const files = csvFiles(parsed.positionals);
    if (files.length === 0)
      throw new StrataError("STRATA_ERR_USAGE", `no .csv file in ${quote(parsed.positionals.join(" "))}.`);
    const workspace = await open();
    const code = await ingestFiles(
      workspace,
      files,
      parsed.flags.quiet ? { ...io, out: () => undefined } : io,
    );
    if (!parsed.flags["no-summary"]) await printSummary(workspace, io);
    return code;
  },
};
