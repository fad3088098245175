import type { Scope } from "../di/container.ts";
import type { Token } from "../di/token.ts";
import { quote, StrataError } from "../errors.ts";
import type { CheckSeverity } from "../storage/records.ts";
import { type AssetKey, assetKey } from "./asset-key.ts";
import type {
  AssetClass,
  InputRef,
  InputSource,
  InsMap,
  NoInputs,
  OutputOf,
  ValidateInputs,
  ValidateOutputs,
} from "./asset-types.ts";
import type { AutomationCondition } from "./automation.ts";
import type { AnyCheckDefinition, CheckOutcome } from "./checks.ts";
import type { AssetContext } from "./context.ts";
import type { PartitionsDefinition } from "./partitions.ts";
import { NO_RETRY, type RetryPolicy } from "./retry.ts";

export interface InputBinding {
  readonly name: string;
  readonly key: AssetKey;
  readonly partitions: "identity" | "all";
}

/** An asset's description without its compute: what the graph, the UI and the daemon read. */
export interface AssetSpec {
  /** Every key the definition materialises; the first is its primary key. */
  readonly keys: readonly AssetKey[];
  readonly inputs: readonly InputBinding[];
  /** Ordering-only upstream keys (data not passed in). */
  readonly deps: readonly AssetKey[];
  readonly partitions?: PartitionsDefinition;
  readonly automation?: AutomationCondition;
  readonly retry: RetryPolicy;
  readonly codeVersion?: string;
  readonly description?: string;
  readonly owners: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly group?: string;
}

export interface AssetComputation {
  materialize(ctx: AssetContext, inputs: object): unknown;
}

export interface AssetDefinition {
  readonly kind: "asset";
  readonly spec: AssetSpec;
  /** Checks declared inline with the asset. */
  readonly checks: readonly AnyCheckDefinition[];
  /** Resources resolved at run time (besides constructor injection); checked when definitions load. */
  readonly inject?: readonly Token<unknown>[];
  /** Build the compute from a (run) scope: resources come from the container. */
  instantiate(scope: Scope): AssetComputation;
}

export interface InlineCheck {
  readonly name: string;
  readonly severity?: CheckSeverity;
  readonly blocking?: boolean;
  readonly description?: string;
  evaluate(ctx: AssetContext, value: unknown): CheckOutcome | Promise<CheckOutcome>;
}

export interface CommonAssetOptions<Ins extends InsMap> {
  readonly ins?: Ins;
  readonly deps?: readonly (string | AssetClass | AssetDefinition)[];
  readonly partitions?: PartitionsDefinition;
  readonly automation?: AutomationCondition;
  readonly retry?: RetryPolicy;
  readonly codeVersion?: string;
  readonly description?: string;
  readonly owners?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
  readonly group?: string;
  readonly checks?: readonly InlineCheck[];
}

export interface AssetOptions<Ins extends InsMap> extends CommonAssetOptions<Ins> {
  readonly key: string;
}

export interface OutputSpec {
  readonly description?: string;
}

export interface MultiAssetOptions<Outs extends Readonly<Record<string, OutputSpec>>, Ins extends InsMap>
  extends CommonAssetOptions<Ins> {
  readonly outs: Outs;
}

const definitions = new WeakMap<object, AssetDefinition>();

/** The definition recorded by @asset/@multiAsset on a class, or undefined. */
export function definitionOf(cls: object): AssetDefinition | undefined {
  return definitions.get(cls);
}

function requireDefinition(source: object, where: string): AssetDefinition {
  const definition = definitions.get(source);
  if (!definition) {
    const name = typeof source === "function" ? source.name : String(source);
    throw new StrataError(
      "STRATA_ERR_NOT_AN_ASSET",
      `${where}: class ${quote(name)} is not decorated with @asset.`,
    );
  }
  return definition;
}

function isInputRef(source: InputSource): source is InputRef<unknown> {
  return "kind" in source && source.kind === "input";
}

function resolveInputs(ins: InsMap | undefined, where: string): InputBinding[] {
  return Object.entries(ins ?? {}).map(([name, source]) => {
    const ref = isInputRef(source) ? source : undefined;
    const upstream = requireDefinition(ref ? ref.source : source, `${where} input ${quote(name)}`);
    const key = ref?.outputKey ?? upstream.spec.keys[0];
    if (key === undefined || !upstream.spec.keys.includes(key)) {
      throw new StrataError(
        "STRATA_ERR_UNKNOWN_DEPENDENCY",
        `${where} input ${quote(name)} names output ${quote(key)}.`,
      );
    }
    return { name, key, partitions: ref?.partitions ?? "identity" };
  });
}

function resolveDeps(deps: CommonAssetOptions<InsMap>["deps"], where: string): AssetKey[] {
  return (deps ?? []).map((dep) => {
    if (typeof dep === "string") return assetKey(dep, `${where} dep`);
    if ("kind" in dep && dep.kind === "asset") return dep.spec.keys[0] ?? assetKey("", where);
    return requireDefinition(dep, `${where} dep`).spec.keys[0] ?? assetKey("", where);
  });
}

/** Build an AssetSpec from options; shared by @asset, @multiAsset and defineAsset. */
export function buildSpec(keys: readonly AssetKey[], options: CommonAssetOptions<InsMap>): AssetSpec {
  const where = `asset ${quote(keys[0])}`;
  return {
    keys,
    inputs: resolveInputs(options.ins, where),
    deps: resolveDeps(options.deps, where),
    retry: options.retry ?? NO_RETRY,
    owners: options.owners ?? [],
    tags: options.tags ?? {},
    ...(options.partitions && { partitions: options.partitions }),
    ...(options.automation && { automation: options.automation }),
    ...(options.codeVersion !== undefined && { codeVersion: options.codeVersion }),
    ...(options.description !== undefined && { description: options.description }),
    ...(options.group !== undefined && { group: options.group }),
  };
}

export function inlineChecks(
  key: AssetKey,
  checks: readonly InlineCheck[] | undefined,
): AnyCheckDefinition[] {
  return (checks ?? []).map((check) => ({
    kind: "check",
    asset: key,
    name: check.name,
    severity: check.severity ?? "error",
    blocking: check.blocking ?? false,
    inject: [],
    evaluate: (ctx: AssetContext, value: unknown) => check.evaluate(ctx, value),
    ...(check.description !== undefined && { description: check.description }),
  }));
}

function register(target: AssetClass, spec: AssetSpec, checks: readonly InlineCheck[] | undefined): void {
  const key = spec.keys[0] ?? assetKey("", "asset");
  definitions.set(target, {
    kind: "asset",
    spec,
    checks: inlineChecks(key, checks),
    instantiate: (scope) => scope.construct(target),
  });
}

/**
 * Declare a class as an asset. `materialize(ctx, inputs)` receives the upstream values named in
 * `ins`, typed from the upstream classes' return types.
 */
export function asset<const Ins extends InsMap = NoInputs>(options: AssetOptions<Ins>) {
  const key = assetKey(options.key);
  const spec = buildSpec([key], options);
  return <C extends AssetClass>(target: C & ValidateInputs<C, Ins>): void =>
    register(target, spec, options.checks);
}

/** Declare a class that materialises several assets in one step; materialize() returns one value per key. */
export function multiAsset<
  const Outs extends Readonly<Record<string, OutputSpec>>,
  const Ins extends InsMap = NoInputs,
>(options: MultiAssetOptions<Outs, Ins>) {
  const keys = Object.keys(options.outs).map((key) => assetKey(key, "multiAsset output"));
  const spec = buildSpec(keys, options);
  return <C extends AssetClass>(target: C & ValidateInputs<C, Ins> & ValidateOutputs<C, Outs>): void =>
    register(target, spec, options.checks);
}

/** Reference an upstream asset with options (all partitions instead of the same partition). */
export function input<C extends AssetClass>(
  source: C,
  options: { partitions: "all" },
): InputRef<ReadonlyMap<string, OutputOf<C>>>;
export function input<C extends AssetClass>(source: C): InputRef<OutputOf<C>>;
export function input<C extends AssetClass>(
  source: C,
  options?: { partitions: "all" },
): InputRef<OutputOf<C>> | InputRef<ReadonlyMap<string, OutputOf<C>>> {
  return { kind: "input", source, partitions: options?.partitions ?? "identity" };
}

/** Reference one output of a multi-asset. */
export function output<C extends AssetClass, K extends keyof OutputOf<C> & string>(
  source: C,
  key: K,
): InputRef<OutputOf<C>[K]> {
  return { kind: "input", source, outputKey: assetKey(key, "output()"), partitions: "identity" };
}
