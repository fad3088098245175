import type { Resolve, Token } from "../di/token.ts";
import { quote, StrataError } from "../errors.ts";
import type { CheckSeverity } from "../storage/records.ts";
import {
  type AssetDefinition,
  buildSpec,
  type CommonAssetOptions,
  definitionOf,
  inlineChecks,
} from "./asset.ts";
import { type AssetKey, assetKey } from "./asset-key.ts";
import type { AssetClass, InputsOf, InsMap, NoInputs, OutputOf } from "./asset-types.ts";
import type { CheckDefinition, CheckOutcome } from "./checks.ts";
import type { AssetContext } from "./context.ts";

/**
 * Programmatic definitions, for assets generated from data (one per SQL model) rather than written
 * as classes. Resources are declared in `inject` (so a missing binding fails at load) and resolved
 * with the typed `resolve` function.
 */
export interface DefineAssetOptions<Ins extends InsMap, Out> extends CommonAssetOptions<Ins> {
  readonly key: string;
  readonly inject?: readonly Token<unknown>[];
  materialize(ctx: AssetContext, inputs: InputsOf<Ins>, resolve: Resolve): Out | Promise<Out>;
}

/** The erased view the engine calls: method bivariance accepts the typed callback without a cast. */
interface ErasedMaterialize {
  materialize(ctx: AssetContext, inputs: object, resolve: Resolve): unknown;
}

export function defineAsset<const Ins extends InsMap = NoInputs, Out = unknown>(
  options: DefineAssetOptions<Ins, Out>,
): AssetDefinition {
  const key = assetKey(options.key);
  const compute: ErasedMaterialize = options;
  return {
    kind: "asset",
    spec: buildSpec([key], options),
    checks: inlineChecks(key, options.checks),
    inject: options.inject ?? [],
    instantiate: (scope) => ({
      materialize: (ctx, inputs) => compute.materialize(ctx, inputs, scope.resolve),
    }),
  };
}

export interface DefineCheckOptions<Value> {
  readonly name: string;
  readonly severity?: CheckSeverity;
  readonly blocking?: boolean;
  readonly description?: string;
  readonly inject?: readonly Token<unknown>[];
  evaluate(ctx: AssetContext, value: Value, resolve: Resolve): CheckOutcome | Promise<CheckOutcome>;
}

function targetKey(target: AssetClass | AssetDefinition | string): AssetKey {
  if (typeof target === "string") return assetKey(target, "defineCheck asset");
  const definition = "kind" in target && target.kind === "asset" ? target : definitionOf(target);
  const key = definition?.spec.keys[0];
  if (key === undefined) {
    throw new StrataError(
      "STRATA_ERR_NOT_AN_ASSET",
      `defineCheck target ${quote(String(target))} is not an asset.`,
    );
  }
  return key;
}

/** A check on an asset class: `value` is typed from the class's materialize() return type. */
export function defineCheck<C extends AssetClass>(
  target: C,
  options: DefineCheckOptions<OutputOf<C>>,
): CheckDefinition;
/** A check on an asset by key or definition: `value` is whatever the asset produced. */
export function defineCheck(
  target: AssetDefinition | string,
  options: DefineCheckOptions<unknown>,
): CheckDefinition;
export function defineCheck(
  target: AssetClass | AssetDefinition | string,
  options: DefineCheckOptions<never>,
): CheckDefinition {
  const erased: {
    evaluate(ctx: AssetContext, value: unknown, resolve: Resolve): CheckOutcome | Promise<CheckOutcome>;
  } = options;
  return {
    kind: "check",
    asset: targetKey(target),
    name: options.name,
    severity: options.severity ?? "error",
    blocking: options.blocking ?? false,
    inject: options.inject ?? [],
    evaluate: (ctx, value, resolve) => erased.evaluate(ctx, value, resolve),
    ...(options.description !== undefined && { description: options.description }),
  };
}
