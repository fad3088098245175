import type { AssetDefinition } from "../definitions/asset.ts";
import type { AssetKey } from "../definitions/asset-key.ts";
import { quote, StrataError } from "../errors.ts";
import type { AssetGraph } from "../graph/asset-graph.ts";
import type { PartitionRange } from "../storage/records.ts";

/** One unit of work: a definition (all its keys) for one partition, or unpartitioned. */
export interface PlanStep {
  readonly id: string;
  readonly definition: AssetDefinition;
  readonly keys: readonly AssetKey[];
  readonly partition?: string;
  /** Steps of this run that must finish first. */
  readonly dependsOn: readonly string[];
}

export interface PartitionSelection {
  readonly partition?: string;
  readonly partitionRange?: PartitionRange;
}

function stepId(definition: AssetDefinition, partition: string | undefined): string {
  const key = definition.spec.keys[0] ?? "";
  return partition === undefined ? key : `${key}[${partition}]`;
}

/**
 * The partition keys a run covers, after checking that the selection can take them: partitioned
 * assets need a partition and must share one partitions definition.
 */
function partitionKeys(
  graph: AssetGraph,
  definitions: readonly AssetDefinition[],
  selection: PartitionSelection,
  now: number,
): string[] | undefined {
  const partitioned = definitions.filter((definition) => definition.spec.partitions !== undefined);
  const requested =
    selection.partition ??
    (selection.partitionRange && `${selection.partitionRange.from}..${selection.partitionRange.to}`);
  if (requested === undefined) {
    if (partitioned.length === 0) return undefined;
    throw new StrataError(
      "STRATA_ERR_PARTITION_MISMATCH",
      `asset ${quote(partitioned[0]?.spec.keys[0])} is partitioned: pass a partition or a range.`,
    );
  }
  const first = partitioned[0]?.spec.partitions;
  if (first === undefined) {
    throw new StrataError(
      "STRATA_ERR_PARTITION_MISMATCH",
      `partition ${quote(requested)} given, but no selected asset is partitioned.`,
    );
  }
  const other = partitioned.find((definition) => definition.spec.partitions?.id !== first.id);
  if (other) {
    throw new StrataError(
      "STRATA_ERR_PARTITION_MISMATCH",
      `assets ${quote(partitioned[0]?.spec.keys[0])} and ${quote(other.spec.keys[0])} have different partitions; select them separately.`,
    );
  }
  void graph;
  if (selection.partitionRange)
    return first.range(selection.partitionRange.from, selection.partitionRange.to, now);
  const key = selection.partition ?? "";
  if (!first.has(key, now)) {
    throw new StrataError(
      "STRATA_ERR_UNKNOWN_PARTITION",
      `partition ${quote(key)} does not exist for ${quote(partitioned[0]?.spec.keys[0])} (${first.id}).`,
    );
  }
  return [key];
}

/** Steps for the selected keys, in topological order, with their in-run dependencies. */
export function buildPlan(
  graph: AssetGraph,
  keys: readonly AssetKey[],
  selection: PartitionSelection,
  now: number,
): PlanStep[] {
  const definitions: AssetDefinition[] = [];
  for (const key of keys) {
    const definition = graph.definition(key);
    if (!definitions.includes(definition)) definitions.push(definition);
  }
  const partitions = partitionKeys(graph, definitions, selection, now);
  const stepsOf = new Map<AssetDefinition, PlanStep[]>();
  const steps: PlanStep[] = [];
  for (const definition of definitions) {
    const own = definition.spec.partitions === undefined ? [undefined] : (partitions ?? []);
    const upstream = [
      ...definition.spec.inputs,
      ...definition.spec.deps.map((key) => ({ key, partitions: "all" as const })),
    ];
    const created = own.map((partition) => {
      const dependsOn = new Set<string>();
      for (const input of upstream) {
        const parentDefinition = graph.definition(input.key);
        for (const parent of stepsOf.get(parentDefinition) ?? []) {
          const samePartition =
            parent.partition === undefined || input.partitions === "all" || parent.partition === partition;
          if (samePartition) dependsOn.add(parent.id);
        }
      }
      return {
        id: stepId(definition, partition),
        definition,
        keys: definition.spec.keys,
        dependsOn: [...dependsOn],
        ...(partition !== undefined && { partition }),
      };
    });
    stepsOf.set(definition, created);
    steps.push(...created);
  }
  return steps;
}
