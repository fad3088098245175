/** The test graph as a definitions module, for CLI tests (`--definitions engine/execution/test-definitions.ts`). */
import { defineDefinitions } from "../definitions/definitions.ts";
import { bind } from "../di/token.ts";
import { PROBE, Probe, testAssets, testChecks } from "./test-graph.ts";

export const definitions = defineDefinitions({
  assets: testAssets,
  checks: testChecks,
  resources: [bind.value(PROBE, new Probe())],
});
