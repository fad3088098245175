/**
 * A small dbt-like SQL project: load models and data tests from a folder, build models in a Warehouse,
 * run tests. The engine wraps each model into an asset (`gold/<model>`) and each test into an asset
 * check on `test.model`; this module knows nothing about assets or about sales.
 */
export type { Literal } from "./expression.ts";
export { loadSqlProject } from "./loader.ts";
export { countRows, type ModelRunResult, type RunModelContext, runModel } from "./run-model.ts";
export { type ProjectRunResult, runProject } from "./run-project.ts";
export { type RunTestOptions, runTest, runTests, type TestRunResult } from "./run-test.ts";
export { SCD_COLUMNS } from "./snapshot.ts";
export { registerDeclaredSource } from "./sources.ts";
export type {
  CompileOptions,
  DeclaredSource,
  Materialization,
  ModelConfig,
  Severity,
  SourceName,
  SqlModel,
  SqlProject,
  SqlTest,
} from "./types.ts";
