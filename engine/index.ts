/** The public API that pipeline code imports. */

export { intFlag, parseFlags, requireFlag, stringFlag } from "./cli/args.ts";
export type { CliCommand, CliIO } from "./cli/command.ts";
export { ProgressDisplay } from "./cli/progress.ts";
export type { DefinitionsContext, DefinitionsModule, Workspace } from "./cli/workspace.ts";
export {
  type AssetDefinition,
  type AssetSpec,
  asset,
  definitionOf,
  type InlineCheck,
  input,
  multiAsset,
  output,
} from "./definitions/asset.ts";
export { type AssetKey, assetKey, isAssetKey, layerOf } from "./definitions/asset-key.ts";
export type { AssetClass, AssetTypeError, InputsOf, OutputOf } from "./definitions/asset-types.ts";
export { type AutomationCondition, eager, onCron, onMissing } from "./definitions/automation.ts";
export type { CheckDefinition, CheckOutcome } from "./definitions/checks.ts";
export type { AssetContext, RunContext, RunLogger } from "./definitions/context.ts";
export { defineAsset, defineCheck } from "./definitions/define.ts";
export {
  type Definitions,
  defineDefinitions,
  type LoadedDefinitions,
  loadDefinitions,
} from "./definitions/definitions.ts";
export {
  defineSchedule,
  defineSensor,
  type RunRequest,
  type ScheduleDefinition,
  type SensorContext,
  type SensorDefinition,
  type SensorResult,
} from "./definitions/instigators.ts";
export { type JsonValue, type MetadataInput, type MetadataValue, md } from "./definitions/metadata.ts";
export { dailyPartitions, type PartitionsDefinition, staticPartitions } from "./definitions/partitions.ts";
export { type RetryPolicy, retryPolicy } from "./definitions/retry.ts";
export { inject, type Scope } from "./di/container.ts";
export { bind, type Constructor, type Resolve, type ResourceBinding, type Token, token } from "./di/token.ts";
export { IO_MANAGER, RUN_CONTEXT } from "./di/tokens.ts";
export { type ErrorCode, errorCatalog, quote, StrataError } from "./errors.ts";
export { Backfills } from "./execution/backfill.ts";
export { type Clock, ManualClock, systemClock } from "./execution/clock.ts";
export { FileSystemIOManager, InMemoryIOManager, type IOManager } from "./execution/io-manager.ts";
export { type MaterializeRequest, Materializer, type RunResult } from "./execution/materializer.ts";
export { AssetGraph } from "./graph/asset-graph.ts";
export { selectAssets } from "./graph/selection.ts";
export type * from "./storage/records.ts";
export { RUN_PRIORITY_TAG } from "./storage/records.ts";
export type { RunStorage } from "./storage/run-storage.ts";
