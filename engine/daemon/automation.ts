import type { AssetKey } from "../definitions/asset-key.ts";
import { cronTicksBetween } from "../definitions/cron.ts";
import type { Clock } from "../execution/clock.ts";
import type { Materializer } from "../execution/materializer.ts";
import type { AssetGraph } from "../graph/asset-graph.ts";
import { RUN_PRIORITY_TAG, type RunRecord } from "../storage/records.ts";
import type { RunStorage } from "../storage/run-storage.ts";

const BOOKMARK = "automation:last_event_id";
/** Eager candidates that could not run yet (an upstream busy or missing), retried every tick. */
const DEFERRED = "automation:deferred";
const cronKey = (key: AssetKey): string => `automation:${key}:cron_evaluated_until`;

interface Candidate {
  readonly key: AssetKey;
  readonly partition: string | undefined;
  readonly reason: string;
  /** When an eager candidate was first held back (for `eager({ maxWaitSeconds })`). */
  readonly deferredSince?: number;
}

/** What queued and running runs hold, per asset: the partitions they touch, "*" for all of them. */
class BusyAssets {
  private readonly partitions = new Map<string, Set<string>>();

  constructor(runs: readonly RunRecord[]) {
    for (const run of runs) {
      for (const key of run.assetKeys) {
        const held = this.partitions.get(key) ?? new Set<string>();
        held.add(run.partition ?? "*"); // a range or an unpartitioned run may touch any partition
        this.partitions.set(key, held);
      }
    }
  }

  /** Busy for that partition, or for any partition when none is given. */
  has(key: string, partition: string | undefined): boolean {
    const held = this.partitions.get(key);
    if (held === undefined) return false;
    return partition === undefined || held.has("*") || held.has(partition);
  }
}

type Readiness = "ready" | "upstream busy" | "upstream missing";

/**
 * Evaluates automation conditions from new materialisation events (never by rescanning the whole
 * graph): an `eager` asset is requested when an upstream materialised after it, nothing upstream is
 * missing, and neither it nor an upstream is queued or running. `onCron` assets are requested once
 * per tick once every upstream has updated since that tick; `onMissing` assets when never materialised.
 */
export class AutomationEvaluator {
  constructor(
    private readonly storage: RunStorage,
    private readonly materializer: Materializer,
    private readonly clock: Clock,
  ) {}

  private get graph(): AssetGraph {
    return this.materializer.definitions.graph;
  }

  async tick(): Promise<RunRecord[]> {
    const busy = new BusyAssets(await this.storage.listRuns({ statuses: ["queued", "started"] }));
    const now = this.clock.now();
    const deferred = await this.loadDeferred();
    const candidates = [
      ...deferred,
      ...(await this.eagerCandidates()),
      ...(await this.cronCandidates()),
      ...(await this.missingCandidates()),
    ];
    // Candidates of one tick that share a partition (or none) go in one run, as Dagster's
    // automation does: fewer runs, and the plan still orders them.
    const groups = new Map<string, { partition: string | undefined; keys: string[]; reasons: Set<string> }>();
    const requested = new Set<string>();
    const stillDeferred = new Map<string, Candidate>();
    for (const candidate of candidates) {
      const id = `${candidate.key}|${candidate.partition ?? ""}`;
      if (requested.has(id)) continue;
      const readiness = busy.has(candidate.key, candidate.partition)
        ? "upstream busy"
        : await this.upstreamReadiness(candidate.key, candidate.partition, busy);
      if (readiness !== "ready" && !this.waitedLongEnough(candidate, readiness, busy, now)) {
        // Not now: an eager change is kept and re-evaluated next tick, never dropped.
        // The same change can come back as a new event each tick: the wait counts from the first.
        const since = stillDeferred.get(id)?.deferredSince ?? candidate.deferredSince ?? now;
        if (candidate.reason === "eager") stillDeferred.set(id, { ...candidate, deferredSince: since });
        continue;
      }
      requested.add(id);
      const partitioning = this.graph.definition(candidate.key).spec.partitions?.id ?? "";
      const groupId = `${partitioning}|${candidate.partition ?? ""}`;
      const group = groups.get(groupId) ?? {
        partition: candidate.partition,
        keys: [],
        reasons: new Set<string>(),
      };
      group.keys.push(candidate.key);
      group.reasons.add(candidate.reason);
      groups.set(groupId, group);
    }
    for (const id of requested) stillDeferred.delete(id);
    await this.storage.setCursor(DEFERRED, JSON.stringify([...stillDeferred.values()]));
    const launched: RunRecord[] = [];
    for (const group of groups.values()) {
      const reason = [...group.reasons].sort().join("+");
      launched.push(
        await this.materializer.submit({
          selection: group.keys.join(","),
          origin: { kind: "automation", name: reason },
          tags: {
            "strata/automation": reason,
            // Eager runs carry changes already made upstream downstream: draining them before
            // more upstream work starts keeps end-to-end latency bounded.
            ...(group.reasons.has("eager") && { [RUN_PRIORITY_TAG]: "1" }),
          },
          ...(group.partition !== undefined && { partition: group.partition }),
        }),
      );
    }
    return launched;
  }

  /** Ready when nothing upstream is missing or in flight, so the asset would read complete inputs. */
  private async upstreamReadiness(
    key: AssetKey,
    partition: string | undefined,
    busy: BusyAssets,
  ): Promise<Readiness> {
    let readiness: Readiness = "ready";
    for (const parent of this.graph.upstream(key)) {
      const parentPartitioned = this.graph.definition(parent).spec.partitions !== undefined;
      const parentPartition = parentPartitioned ? partition : undefined;
      const latest = await this.storage.latestMaterialization(parent, parentPartition);
      if (latest === undefined && !(parentPartitioned && partition === undefined)) return "upstream missing";
      if (busy.has(parent, parentPartition)) readiness = "upstream busy";
    }
    return readiness;
  }

  /**
   * An eager asset with `maxWaitSeconds` stops waiting for busy upstreams once it has waited that
   * long; it never runs alongside a run of itself, nor on a missing upstream.
   */
  private waitedLongEnough(
    candidate: Candidate,
    readiness: Readiness,
    busy: BusyAssets,
    now: number,
  ): boolean {
    if (readiness !== "upstream busy" || busy.has(candidate.key, candidate.partition)) return false;
    const automation = this.graph.definition(candidate.key).spec.automation;
    if (automation?.kind !== "eager" || automation.maxWaitMs === undefined) return false;
    return now - (candidate.deferredSince ?? now) >= automation.maxWaitMs;
  }

  private async loadDeferred(): Promise<Candidate[]> {
    const text = await this.storage.getCursor(DEFERRED);
    if (text === undefined) return [];
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    const candidates: Candidate[] = [];
    for (const item of parsed) {
      if (typeof item !== "object" || item === null || !("key" in item) || typeof item.key !== "string")
        continue;
      if (!this.graph.has(item.key)) continue;
      const partition =
        "partition" in item && typeof item.partition === "string" ? item.partition : undefined;
      if (await this.upToDate(item.key, partition)) continue; // materialised since it was deferred
      const since =
        "deferredSince" in item && typeof item.deferredSince === "number" ? item.deferredSince : undefined;
      candidates.push({
        key: item.key,
        partition,
        reason: "eager",
        ...(since !== undefined && { deferredSince: since }),
      });
    }
    return candidates;
  }

  /** True when the asset's latest materialisation came from a run that could read every upstream's latest. */
  private async upToDate(key: AssetKey, partition: string | undefined): Promise<boolean> {
    const own = await this.storage.latestMaterialization(key, partition);
    if (own === undefined) return false;
    const seen = await this.seenUpTo(own);
    for (const parent of this.graph.upstream(key)) {
      const parentPartitioned = this.graph.definition(parent).spec.partitions !== undefined;
      const latest = await this.storage.latestMaterialization(
        parent,
        parentPartitioned ? partition : undefined,
      );
      // An upstream materialised earlier in the same run was read by it (plans run in order).
      if (latest !== undefined && latest.eventId > seen && latest.runId !== own.runId) return false;
    }
    return true;
  }

  /**
   * The newest event the run behind a materialisation could have read: the log position when it
   * started. Its own materialisation event is later, and an upstream change recorded while it ran
   * (between the two) is one it may have missed.
   */
  private async seenUpTo(materialization: { runId: string; eventId: number }): Promise<number> {
    const run = await this.storage.getRun(materialization.runId);
    return run?.startEventMark ?? materialization.eventId;
  }

  private async eagerCandidates(): Promise<Candidate[]> {
    const after = Number((await this.storage.getCursor(BOOKMARK)) ?? (await this.initialBookmark()));
    const events = await this.storage.listEventsAfter(after, ["ASSET_MATERIALIZATION"], 10_000);
    const candidates: Candidate[] = [];
    for (const event of events) {
      if (event.assetKey === undefined || !this.graph.has(event.assetKey)) continue;
      // A multi-asset is one step: several of its keys downstream of the same change are one candidate.
      const children = new Set(
        this.graph.downstream(event.assetKey).map((key) => this.graph.definition(key).spec.keys[0] ?? key),
      );
      for (const child of children) {
        const spec = this.graph.definition(child).spec;
        if (spec.automation?.kind !== "eager") continue;
        const partition = spec.partitions === undefined ? undefined : event.partition;
        const own = await this.storage.latestMaterialization(child, partition);
        // Already updated by a run that started after this change.
        if (own !== undefined && (own.runId === event.runId || (await this.seenUpTo(own)) >= event.id))
          continue;
        candidates.push({ key: child, partition, reason: "eager" });
      }
    }
    const last = events.at(-1);
    if (last !== undefined) await this.storage.setCursor(BOOKMARK, String(last.id));
    return candidates;
  }

  /** Start after the events that exist when automation first runs: history is not replayed. */
  private async initialBookmark(): Promise<string> {
    const latest = String(await this.storage.latestEventId());
    await this.storage.setCursor(BOOKMARK, latest);
    return latest;
  }

  private async cronCandidates(): Promise<Candidate[]> {
    const now = this.clock.now();
    const candidates: Candidate[] = [];
    for (const key of this.graph.order) {
      const automation = this.graph.definition(key).spec.automation;
      if (automation?.kind !== "on_cron") continue;
      const stored = await this.storage.getCursor(cronKey(key));
      if (stored === undefined) await this.storage.setCursor(cronKey(key), String(now));
      // Ticks since automation first saw the asset; the newest is the one to satisfy.
      const tick = cronTicksBetween(automation.cron, automation.timezone, Number(stored ?? now), now).at(-1);
      if (tick === undefined) continue;
      const spec = this.graph.definition(key).spec;
      const partition = spec.partitions?.lastClosed(tick);
      const own = await this.storage.latestMaterialization(key, partition);
      if (own !== undefined && own.timestamp >= tick) continue;
      let depsUpdated = true;
      for (const parent of this.graph.upstream(key)) {
        const latest = await this.storage.latestMaterialization(parent);
        if (latest === undefined || latest.timestamp < tick) depsUpdated = false;
      }
      if (depsUpdated) candidates.push({ key, partition, reason: "on_cron" });
    }
    return candidates;
  }

  private async missingCandidates(): Promise<Candidate[]> {
    const candidates: Candidate[] = [];
    for (const key of this.graph.order) {
      const spec = this.graph.definition(key).spec;
      if (spec.automation?.kind !== "on_missing") continue;
      const partition = spec.partitions?.lastClosed(this.clock.now());
      if (spec.partitions !== undefined && partition === undefined) continue;
      if ((await this.storage.latestMaterialization(key, partition)) === undefined) {
        candidates.push({ key, partition, reason: "on_missing" });
      }
    }
    return candidates;
  }
}
