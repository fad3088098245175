import { createScope, type Scope } from "../di/container.ts";
import type { ResourceBinding, Token } from "../di/token.ts";
import { RUN_CONTEXT } from "../di/tokens.ts";
import { quote, StrataError } from "../errors.ts";
import { AssetGraph } from "../graph/asset-graph.ts";
import { didYouMean } from "../graph/did-you-mean.ts";
import { selectAssets } from "../graph/selection.ts";
import { type AssetDefinition, definitionOf } from "./asset.ts";
import type { AssetKey } from "./asset-key.ts";
import type { AssetClass } from "./asset-types.ts";
import type { CheckDefinition } from "./checks.ts";
import type { RunContext } from "./context.ts";
import type { ScheduleDefinition, SensorDefinition } from "./instigators.ts";

/** Everything Strata runs, in one explicit list: no registration by import side effect. */
export interface Definitions {
  readonly assets: readonly (AssetClass | AssetDefinition)[];
  readonly checks?: readonly CheckDefinition[];
  readonly sensors?: readonly SensorDefinition[];
  readonly schedules?: readonly ScheduleDefinition[];
  readonly resources?: readonly ResourceBinding[];
  /** Releases what the resources hold open (connections, files); called when the process is done with them. */
  readonly teardown?: () => Promise<void>;
}

export interface LoadedDefinitions {
  readonly graph: AssetGraph;
  readonly checks: ReadonlyMap<AssetKey, readonly CheckDefinition[]>;
  readonly sensors: readonly SensorDefinition[];
  readonly schedules: readonly ScheduleDefinition[];
  /** The root resource scope; runs open a child of it. */
  readonly scope: Scope;
  teardown(): Promise<void>;
}

export function defineDefinitions(definitions: Definitions): Definitions {
  return definitions;
}

function toDefinition(entry: AssetClass | AssetDefinition): AssetDefinition {
  if ("kind" in entry && entry.kind === "asset") return entry;
  const definition = definitionOf(entry);
  if (!definition) {
    throw new StrataError(
      "STRATA_ERR_NOT_AN_ASSET",
      `Definitions.assets contains ${quote(typeof entry === "function" ? entry.name : String(entry))}, not an asset.`,
    );
  }
  return definition;
}

function collectChecks(
  graph: AssetGraph,
  extra: readonly CheckDefinition[],
): Map<AssetKey, CheckDefinition[]> {
  const byAsset = new Map<AssetKey, CheckDefinition[]>();
  const all = [...graph.definitions.flatMap((definition) => definition.checks), ...extra];
  for (const check of all) {
    if (!graph.has(check.asset)) {
      throw new StrataError(
        "STRATA_ERR_UNKNOWN_DEPENDENCY",
        `check ${quote(check.name)} targets ${quote(check.asset)}, which no asset declares.${didYouMean(check.asset, graph.order)}`,
      );
    }
    const list = byAsset.get(check.asset) ?? [];
    if (list.some((other) => other.name === check.name)) {
      throw new StrataError(
        "STRATA_ERR_DUPLICATE_DEFINITION",
        `asset ${quote(check.asset)} has two checks named ${quote(check.name)}.`,
      );
    }
    list.push(check);
    byAsset.set(check.asset, list);
  }
  return byAsset;
}

function checkUniqueNames(items: readonly { readonly name: string; readonly kind: string }[]): void {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.name)) {
      throw new StrataError(
        "STRATA_ERR_DUPLICATE_DEFINITION",
        `two ${item.kind}s are named ${quote(item.name)}.`,
      );
    }
    seen.add(item.name);
  }
}

/** Identity partition mappings need the same partitioning on both sides. */
function checkPartitionMappings(graph: AssetGraph): void {
  for (const definition of graph.definitions) {
    const own = definition.spec.partitions;
    for (const input of definition.spec.inputs) {
      const upstream = graph.definition(input.key).spec.partitions;
      if (input.partitions === "all" || upstream === undefined) continue;
      if (own === undefined || own.id !== upstream.id) {
        throw new StrataError(
          "STRATA_ERR_PARTITION_MISMATCH",
          `asset ${quote(definition.spec.keys[0])} reads partitioned ${quote(input.key)} (${upstream.id}) through input ${quote(input.name)} with an identity mapping, but is partitioned as ${quote(own?.id ?? "unpartitioned")}: use input(Upstream, { partitions: "all" }) or the same partitions.`,
        );
      }
    }
  }
}

/** A placeholder run context so resources that need one can be resolved at load time. */
function loadTimeContext(): RunContext {
  return { runId: "load-time-check", tags: {}, signal: new AbortController().signal, now: () => Date.now() };
}

function dryResolve(
  scope: Scope,
  graph: AssetGraph,
  tokens: readonly { what: string; token: Token<unknown> }[],
): void {
  const run = scope.child([{ token: RUN_CONTEXT, value: loadTimeContext() }]);
  const fail = (what: string, error: unknown): never => {
    if (StrataError.is(error, "STRATA_ERR_MISSING_BINDING")) {
      throw new StrataError(
        "STRATA_ERR_MISSING_BINDING",
        `${what}: ${error.message.replace(/^STRATA_ERR_\w+: /, "").replace(/ Fix: .*$/, "")}`,
        error.details,
      );
    }
    throw error;
  };
  for (const definition of graph.definitions) {
    try {
      definition.instantiate(run);
    } catch (error) {
      fail(`asset ${quote(definition.spec.keys[0])}`, error);
    }
  }
  for (const { what, token } of tokens) {
    if (!run.isBound(token)) {
      throw new StrataError(
        "STRATA_ERR_MISSING_BINDING",
        `${what} needs resource ${quote(token.name)}, which is not bound.`,
        {
          token: token.name,
        },
      );
    }
  }
}

/**
 * Validate definitions (duplicate keys, unknown deps, cycles, check targets, names, partition
 * mappings, sensor/schedule targets) and dry-resolve every asset and declared resource from the
 * container, so a missing binding fails here rather than mid-run.
 */
export function loadDefinitions(
  definitions: Definitions,
  extraBindings: readonly ResourceBinding[] = [],
): LoadedDefinitions {
  const graph = new AssetGraph(definitions.assets.map(toDefinition));
  const checks = collectChecks(graph, definitions.checks ?? []);
  const sensors = definitions.sensors ?? [];
  const schedules = definitions.schedules ?? [];
  checkUniqueNames([...sensors, ...schedules]);
  checkPartitionMappings(graph);
  for (const instigator of [...sensors, ...schedules]) selectAssets(graph, instigator.target);
  const scope = createScope([...(definitions.resources ?? []), ...extraBindings]);
  const declared = [
    ...graph.definitions.flatMap((d) =>
      (d.inject ?? []).map((token) => ({ what: `asset ${quote(d.spec.keys[0])}`, token })),
    ),
    ...[...checks.values()]
      .flat()
      .flatMap((c) => c.inject.map((token) => ({ what: `check ${quote(c.name)}`, token }))),
    ...sensors.flatMap((s) => s.inject.map((token) => ({ what: `sensor ${quote(s.name)}`, token }))),
  ];
  dryResolve(scope, graph, declared);
  return {
    graph,
    checks,
    sensors,
    schedules,
    scope,
    teardown: definitions.teardown ?? (async () => undefined),
  };
}
