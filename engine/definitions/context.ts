import type { LogLevel, PartitionRange } from "../storage/records.ts";
import type { AssetKey } from "./asset-key.ts";
import type { MetadataInput } from "./metadata.ts";

export interface RunLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What a run knows about itself; bound in each run's child container as RUN_CONTEXT. */
export interface RunContext {
  readonly runId: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly partition?: string;
  readonly partitionRange?: PartitionRange;
  readonly signal: AbortSignal;
  /** The run's clock (injectable in tests). */
  now(): number;
}

/** Passed to `materialize(ctx, inputs)`. */
export interface AssetContext {
  readonly runId: string;
  readonly assetKey: AssetKey;
  /** All keys this step materialises (one, or several for a multi-asset). */
  readonly assetKeys: readonly AssetKey[];
  /** The partition this step materialises, for a single-partition run. */
  readonly partition?: string;
  /** A partition-range run materialises every key of the range in one step. */
  readonly partitionRange?: PartitionRange;
  /** Keys covered by this step (one for a partition run, several for a range run). */
  readonly partitionKeys: readonly string[];
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  /** Aborted when the run is cancelled: pass it to long I/O. */
  readonly signal: AbortSignal;
  readonly log: RunLogger;
  readonly tags: Readonly<Record<string, string>>;
  /** Attach metadata to this step's materialisation (for a multi-asset, name the output key). */
  addMetadata(metadata: MetadataInput, outputKey?: AssetKey): void;
  /** Declare the produced data's version (e.g. a Delta version); defaults to a hash of the value. */
  setDataVersion(version: string, outputKey?: AssetKey): void;
  now(): number;
}

export type { LogLevel };
