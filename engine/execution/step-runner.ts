import type { InputBinding } from "../definitions/asset.ts";
import type { AssetKey } from "../definitions/asset-key.ts";
import type { CheckDefinition } from "../definitions/checks.ts";
import type { AssetContext, RunContext } from "../definitions/context.ts";
import { type MetadataInput, normalizeMetadata } from "../definitions/metadata.ts";
import { retryDelay } from "../definitions/retry.ts";
import type { Scope } from "../di/container.ts";
import { asError, quote, StrataError } from "../errors.ts";
import type { AssetGraph } from "../graph/asset-graph.ts";
import type { Clock } from "./clock.ts";
import type { IOManager } from "./io-manager.ts";
import type { PlanStep } from "./plan.ts";
import type { RunEventWriter } from "./run-events.ts";

export type StepOutcome =
  | { readonly status: "success" }
  | { readonly status: "failure"; readonly error: string }
  | { readonly status: "skipped"; readonly reason: string }
  | { readonly status: "canceled" };

export interface StepEnvironment {
  readonly graph: AssetGraph;
  readonly checks: ReadonlyMap<AssetKey, readonly CheckDefinition[]>;
  readonly scope: Scope;
  readonly run: RunContext;
  readonly io: IOManager;
  readonly events: RunEventWriter;
  readonly clock: Clock;
  readonly random: () => number;
  /** Values produced earlier in this run, by `${key}|${partition}`. */
  readonly values: Map<string, unknown>;
}

const valueId = (key: AssetKey, partition: string | undefined): string => `${key}|${partition ?? ""}`;

async function loadOne(
  env: StepEnvironment,
  key: AssetKey,
  partition: string | undefined,
): Promise<{ found: boolean; value?: unknown }> {
  const id = valueId(key, partition);
  if (env.values.has(id)) return { found: true, value: env.values.get(id) };
  return env.io.loadInput(key, partition);
}

async function loadInput(env: StepEnvironment, step: PlanStep, input: InputBinding): Promise<unknown> {
  const upstream = env.graph.definition(input.key).spec.partitions;
  if (upstream !== undefined && input.partitions === "all") {
    const all = new Map<string, unknown>();
    for (const partition of upstream.keys(env.clock.now())) {
      const loaded = await loadOne(env, input.key, partition);
      if (loaded.found) all.set(partition, loaded.value);
    }
    return all;
  }
  const partition = upstream === undefined ? undefined : step.partition;
  const loaded = await loadOne(env, input.key, partition);
  if (!loaded.found) {
    throw new StrataError(
      "STRATA_ERR_MISSING_INPUT",
      `input ${quote(input.name)} of ${quote(step.id)}: ${quote(input.key)}${partition === undefined ? "" : ` partition ${quote(partition)}`} has no stored value.`,
    );
  }
  return loaded.value;
}

/** Per-output metadata and data versions collected through the context during materialize(). */
class OutputNotes {
  readonly metadata = new Map<AssetKey, Record<string, MetadataInput[string]>>();
  readonly dataVersions = new Map<AssetKey, string>();

  constructor(private readonly keys: readonly AssetKey[]) {}

  add(metadata: MetadataInput, key?: AssetKey): void {
    for (const target of key === undefined ? this.keys : [key]) {
      this.metadata.set(target, { ...this.metadata.get(target), ...metadata });
    }
  }
}

function outputValues(step: PlanStep, value: unknown): Map<AssetKey, unknown> {
  const [primary] = step.keys;
  if (step.keys.length === 1 && primary !== undefined) return new Map([[primary, value]]);
  const values = new Map<AssetKey, unknown>();
  for (const key of step.keys) {
    if (typeof value !== "object" || value === null || !(key in value)) {
      throw new StrataError(
        "STRATA_ERR_STEP_FAILED",
        `multi-asset ${quote(step.id)} returned no value for output ${quote(key)}.`,
      );
    }
    values.set(key, Object.getOwnPropertyDescriptor(value, key)?.value);
  }
  return values;
}

function makeContext(
  env: StepEnvironment,
  step: PlanStep,
  attempt: number,
  notes: OutputNotes,
): AssetContext {
  const primary = step.keys[0] ?? step.definition.spec.keys[0];
  if (primary === undefined)
    throw new StrataError("STRATA_ERR_STEP_FAILED", `step ${quote(step.id)} has no key.`);
  return {
    runId: env.run.runId,
    assetKey: primary,
    assetKeys: step.keys,
    partitionKeys: step.partition === undefined ? [] : [step.partition],
    attempt,
    signal: env.run.signal,
    log: env.events.logger(primary, step.partition),
    tags: env.run.tags,
    addMetadata: (metadata, key) => notes.add(metadata, key),
    setDataVersion: (version, key) => notes.dataVersions.set(key ?? primary, version),
    now: () => env.clock.now(),
    ...(step.partition !== undefined && { partition: step.partition }),
    ...(env.run.partitionRange !== undefined && { partitionRange: env.run.partitionRange }),
  };
}

async function materializeWithRetries(
  env: StepEnvironment,
  step: PlanStep,
  inputs: object,
  notes: OutputNotes,
): Promise<unknown> {
  const policy = step.definition.spec.retry;
  const where = {
    assetKey: step.keys[0],
    ...(step.partition !== undefined && { partition: step.partition }),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      const computation = step.definition.instantiate(env.scope);
      return await computation.materialize(makeContext(env, step, attempt, notes), inputs);
    } catch (error) {
      if (env.run.signal.aborted || attempt > policy.maxRetries) throw error;
      const delay = retryDelay(policy, attempt, env.random);
      env.events.emit(
        "STEP_RETRY",
        `attempt ${attempt} failed: ${asError(error).message}; retrying in ${delay} ms`,
        {
          ...where,
          level: "warn",
          data: { attempt, delayMs: delay, error: asError(error).message },
        },
      );
      await env.clock.sleep(delay, env.run.signal);
    }
  }
}

async function evaluateChecks(
  env: StepEnvironment,
  step: PlanStep,
  values: Map<AssetKey, unknown>,
): Promise<string | undefined> {
  let blockedBy: string | undefined;
  for (const [key, value] of values) {
    const checks = env.checks.get(key) ?? [];
    // Checks of one asset are independent queries: evaluate them together, record them in order.
    const outcomes = await Promise.all(
      checks.map((check) => {
        const ctx = makeContext(env, { ...step, keys: [key] }, 1, new OutputNotes([key]));
        return Promise.resolve()
          .then(() => check.evaluate(ctx, value, env.scope.resolve))
          .catch((error: unknown) => ({
            passed: false,
            description: `check raised: ${asError(error).message}`,
            metadata: {},
          }));
      }),
    );
    checks.forEach((check, index) => {
      const outcome = outcomes[index] ?? {
        passed: false,
        description: "check produced no outcome",
        metadata: {},
      };
      env.events.emit("CHECK_EVALUATION", `check ${check.name} ${outcome.passed ? "passed" : "failed"}`, {
        assetKey: key,
        ...(step.partition !== undefined && { partition: step.partition }),
        level: outcome.passed ? "info" : check.severity === "error" ? "error" : "warn",
        data: {
          checkName: check.name,
          passed: outcome.passed,
          severity: check.severity,
          blocking: check.blocking,
          metadata: normalizeMetadata(outcome.metadata ?? {}),
          ...(outcome.description !== undefined && { description: outcome.description }),
        },
      });
      if (!outcome.passed && check.blocking && check.severity === "error")
        blockedBy ??= `${key}:${check.name}`;
    });
  }
  return blockedBy;
}

/** Run one step: load inputs, materialise with retries, store outputs, record materialisations, run checks. */
export async function runStep(env: StepEnvironment, step: PlanStep): Promise<StepOutcome> {
  const where = {
    assetKey: step.keys[0],
    ...(step.partition !== undefined && { partition: step.partition }),
  };
  const started = env.clock.now();
  // A multi-asset is one step; the event's assetKey is its first key, the data names them all.
  env.events.emit("STEP_STARTED", `step ${step.id} started`, {
    ...where,
    data: { assetKeys: [...step.keys] },
  });
  const notes = new OutputNotes(step.keys);
  try {
    const inputs: Record<string, unknown> = {};
    for (const input of step.definition.spec.inputs) inputs[input.name] = await loadInput(env, step, input);
    const values = outputValues(step, await materializeWithRetries(env, step, inputs, notes));
    const durationMs = env.clock.now() - started;
    for (const [key, value] of values) {
      const stored = await env.io.handleOutput(key, step.partition, value);
      env.values.set(valueId(key, step.partition), value);
      const metadata = normalizeMetadata({
        ...notes.metadata.get(key),
        duration_ms: { type: "duration_ms", value: durationMs },
      });
      const codeVersion = step.definition.spec.codeVersion;
      env.events.emit("ASSET_MATERIALIZATION", `materialized ${key}`, {
        assetKey: key,
        ...(step.partition !== undefined && { partition: step.partition }),
        data: {
          metadata,
          dataVersion: notes.dataVersions.get(key) ?? stored,
          ...(codeVersion !== undefined && { codeVersion }),
        },
      });
    }
    const blockedBy = await evaluateChecks(env, step, values);
    if (blockedBy !== undefined) {
      const error = `blocking check ${blockedBy} failed`;
      env.events.emit("STEP_FAILURE", `step ${step.id} failed: ${error}`, {
        ...where,
        level: "error",
        data: { error, blockedBy },
      });
      return { status: "failure", error };
    }
    env.events.emit("STEP_SUCCESS", `step ${step.id} succeeded`, { ...where, data: { durationMs } });
    return { status: "success" };
  } catch (thrown) {
    if (env.run.signal.aborted) {
      env.events.emit("STEP_FAILURE", `step ${step.id} cancelled`, {
        ...where,
        level: "warn",
        data: { error: "cancelled" },
      });
      return { status: "canceled" };
    }
    const error = asError(thrown);
    const code = StrataError.is(error) ? error.code : "STRATA_ERR_STEP_FAILED";
    env.events.emit("STEP_FAILURE", `step ${step.id} failed: ${error.message}`, {
      ...where,
      level: "error",
      data: { error: error.message, code, ...(error.stack !== undefined && { stack: error.stack }) },
    });
    return { status: "failure", error: error.message };
  }
}
