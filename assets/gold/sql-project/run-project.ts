/**
 * Builds every model in dependency order, then runs every test: the whole project in one call, for the
 * CLI, demos and tests. The engine does the same step by step (one asset per model, one check per test)
 * so it can run independent models concurrently and record each result.
 */
import type { Warehouse } from "../../../resources/warehouse/warehouse.ts";
import { type ModelRunResult, type RunModelContext, runModel } from "./run-model.ts";
import { runTests, type TestRunResult } from "./run-test.ts";
import type { SqlProject } from "./types.ts";

export interface ProjectRunResult {
  readonly models: readonly ModelRunResult[];
  readonly tests: readonly TestRunResult[];
  /** Tests that failed with severity error. */
  readonly errors: readonly TestRunResult[];
  /** Tests that failed with severity warn. */
  readonly warnings: readonly TestRunResult[];
}

export async function runProject(
  warehouse: Warehouse,
  project: SqlProject,
  ctx: RunModelContext & { readonly skipTests?: boolean } = {},
): Promise<ProjectRunResult> {
  const models: ModelRunResult[] = [];
  for (const model of project.models) models.push(await runModel(warehouse, model, ctx));
  const tests: readonly TestRunResult[] =
    ctx.skipTests === true ? [] : await Promise.all(runTests(warehouse, project.tests));
  return {
    models,
    tests,
    errors: tests.filter((t) => !t.passed && t.severity === "error"),
    warnings: tests.filter((t) => !t.passed && t.severity === "warn"),
  };
}
