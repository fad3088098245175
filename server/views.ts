import {
  type AssetKey,
  type CheckResultRecord,
  type EventRecord,
  layerOf,
  type MaterializationRecord,
  type RunRecord,
  type Workspace,
} from "../engine/index.ts";

/** What the API returns and the pages render: plain JSON built from definitions and run storage. */

export type AssetStatus = "materialized" | "failed" | "in_progress" | "missing";

export interface PartitionSummary {
  readonly kind: "daily" | "static";
  readonly total: number;
  readonly materialized: number;
  readonly failed: number;
  readonly inProgress: number;
  readonly missing: number;
}

export interface CheckSummary {
  readonly name: string;
  readonly severity: "warn" | "error";
  readonly blocking: boolean;
  readonly description?: string;
  readonly latest: CheckResultRecord | null;
}

export interface AssetSummary {
  readonly key: AssetKey;
  readonly layer: string;
  readonly group: string | null;
  readonly description: string | null;
  readonly status: AssetStatus;
  readonly automation: string | null;
  readonly owners: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly codeVersion: string | null;
  readonly upstream: readonly AssetKey[];
  readonly downstream: readonly AssetKey[];
  readonly partitions: PartitionSummary | null;
  readonly checks: readonly CheckSummary[];
  readonly latestMaterialization: MaterializationRecord | null;
  readonly latestRun: RunRecord | null;
}

export interface StepView {
  readonly assetKey: string;
  /** Every key the step materialises (several for a multi-asset), first one first. */
  readonly assetKeys: readonly string[];
  readonly partition?: string;
  readonly status: "running" | "success" | "failure" | "skipped";
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly attempts: number;
}

export async function assetSummary(workspace: Workspace, key: AssetKey): Promise<AssetSummary> {
  const { definitions, storage, clock } = workspace;
  const graph = definitions.graph;
  const spec = graph.definition(key).spec;
  const latest = (await storage.latestMaterialization(key)) ?? null;
  const [latestRun] = await storage.listRuns({ assetKey: key, limit: 1 });
  let partitions: PartitionSummary | null = null;
  if (spec.partitions) {
    const statuses = await storage.partitionStatuses(key);
    const keys = spec.partitions.keys(clock.now());
    const count = (status: string) => keys.filter((k) => statuses.get(k) === status).length;
    const materialized = count("materialized");
    const failed = count("failed");
    const inProgress = count("in_progress");
    partitions = {
      kind: spec.partitions.kind,
      total: keys.length,
      materialized,
      failed,
      inProgress,
      missing: keys.length - materialized - failed - inProgress,
    };
  }
  const checks: CheckSummary[] = [];
  for (const check of definitions.checks.get(key) ?? []) {
    const [result] = await storage.checkResults(key, { checkName: check.name, limit: 1 });
    checks.push({
      name: check.name,
      severity: check.severity,
      blocking: check.blocking,
      ...(check.description !== undefined && { description: check.description }),
      latest: result ?? null,
    });
  }
  return {
    key,
    layer: layerOf(key),
    group: spec.group ?? null,
    description: spec.description ?? null,
    status: statusOf(latest, latestRun),
    automation: spec.automation?.kind ?? null,
    owners: spec.owners,
    tags: spec.tags,
    codeVersion: spec.codeVersion ?? null,
    upstream: graph.upstream(key),
    downstream: graph.downstream(key),
    partitions,
    checks,
    latestMaterialization: latest,
    latestRun: latestRun ?? null,
  };
}

/** A run in flight wins; a failed run newer than the latest materialisation means the asset failed. */
function statusOf(latest: MaterializationRecord | null, run: RunRecord | undefined): AssetStatus {
  if (run && (run.status === "started" || run.status === "queued")) return "in_progress";
  if (run?.status === "failure" && (latest === null || run.createdAt > latest.timestamp)) return "failed";
  return latest ? "materialized" : "missing";
}

/** Steps of a run, folded from its events (attempts count STEP_RETRY). */
function stepKeys(event: EventRecord): string[] | undefined {
  const data = event.data;
  if (typeof data !== "object" || data === null || Array.isArray(data) || !("assetKeys" in data))
    return undefined;
  const keys = data.assetKeys;
  return Array.isArray(keys) && keys.length > 0 ? keys.filter((k) => typeof k === "string") : undefined;
}

export function stepsOf(events: readonly EventRecord[]): StepView[] {
  const steps = new Map<string, StepView>();
  for (const event of events) {
    if (!event.type.startsWith("STEP_") || event.assetKey === undefined) continue;
    const id = `${event.assetKey}|${event.partition ?? ""}`;
    const previous = steps.get(id);
    const base: StepView = previous ?? {
      assetKey: event.assetKey,
      assetKeys: [event.assetKey],
      ...(event.partition !== undefined && { partition: event.partition }),
      status: "running",
      attempts: 0,
    };
    if (event.type === "STEP_STARTED")
      steps.set(id, {
        ...base,
        assetKeys: stepKeys(event) ?? base.assetKeys,
        status: "running",
        startedAt: event.timestamp,
        attempts: base.attempts + 1,
      });
    else if (event.type === "STEP_RETRY") steps.set(id, { ...base, attempts: base.attempts + 1 });
    else {
      const status =
        event.type === "STEP_SUCCESS" ? "success" : event.type === "STEP_SKIPPED" ? "skipped" : "failure";
      steps.set(id, { ...base, status, endedAt: event.timestamp });
    }
  }
  return [...steps.values()];
}
