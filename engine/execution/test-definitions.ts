/** The test graph as a definitions module, for CLI tests (`--definitions engine/execution/test-definitions.ts`). */
import type { CliCommand } from "../cli/command.ts";
import { defineDefinitions } from "../definitions/definitions.ts";
import { bind } from "../di/token.ts";
import { PROBE, Probe, testAssets, testChecks } from "./test-graph.ts";

export const definitions = defineDefinitions({
  assets: testAssets,
  checks: testChecks,
  resources: [bind.value(PROBE, new Probe())],
});

/** A module command, as a pipeline adds its own (`strata help` lists it beside the engine's). */
export const commands: Readonly<Record<string, CliCommand>> = {
  hello: {
    summary: "Print a greeting (a definitions-module command, for CLI tests)",
    usage: "strata hello",
    needsWorkspace: false,
    run: async (_args, io) => {
      io.out("hello from the definitions module");
      return 0;
    },
  },
};
