import type { CliCommand } from "../../engine/index.ts";
import { devCommand } from "../../server/dev-command.ts";
import { demoCommand } from "./demo.ts";
import { doctorCommand } from "./doctor.ts";
import { generateCommand } from "./generate.ts";
import { ingestCommand } from "./ingest.ts";
import { produceCommand } from "./produce.ts";
import { streamCommand } from "./stream.ts";
import { sqlCommand, summaryCommand } from "./summary.ts";

/** The pipeline's own `strata` subcommands (the engine's are list, graph, materialize, ...). */
export const pipelineCommands: Readonly<Record<string, CliCommand>> = {
  demo: demoCommand,
  doctor: doctorCommand,
  ingest: ingestCommand,
  generate: generateCommand,
  summary: summaryCommand,
  sql: sqlCommand,
  produce: produceCommand,
  stream: streamCommand,
  // The UI and the daemon in one process; the server lives in server/ so the engine never imports it.
  dev: devCommand,
};
