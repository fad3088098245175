import { randomUUID } from "node:crypto";
import type { LoadedDefinitions } from "../definitions/definitions.ts";
import { quote, StrataError } from "../errors.ts";
import { selectAssets } from "../graph/selection.ts";
import type { BackfillRecord } from "../storage/records.ts";
import type { RunStorage } from "../storage/run-storage.ts";
import type { Clock } from "./clock.ts";
import type { Materializer } from "./materializer.ts";

export interface BackfillRequest {
  readonly selection: string;
  readonly from: string;
  readonly to: string;
}

/**
 * Backfills: a durable record of every partition to materialise, advanced one partition run at a
 * time. The record says which partitions are done, so a backfill interrupted by a crash or a
 * cancellation resumes where it stopped; a cancelled backfill launches nothing more.
 */
export class Backfills {
  constructor(
    private readonly definitions: LoadedDefinitions,
    private readonly storage: RunStorage,
    private readonly materializer: Materializer,
    private readonly clock: Clock,
  ) {}

  async create(request: BackfillRequest): Promise<BackfillRecord> {
    const assetKeys = selectAssets(this.definitions.graph, request.selection);
    const partitioned = assetKeys
      .map((key) => this.definitions.graph.definition(key).spec.partitions)
      .find((p) => p !== undefined);
    if (!partitioned) {
      throw new StrataError(
        "STRATA_ERR_PARTITION_MISMATCH",
        `backfill selection ${quote(request.selection)} has no partitioned asset.`,
      );
    }
    const backfill: BackfillRecord = {
      backfillId: randomUUID(),
      status: "requested",
      selection: request.selection,
      assetKeys,
      partitions: partitioned.range(request.from, request.to, this.clock.now()),
      completed: [],
      failed: [],
      createdAt: this.clock.now(),
    };
    await this.storage.createBackfill(backfill);
    return backfill;
  }

  async cancel(backfillId: string): Promise<BackfillRecord> {
    const backfill = await this.require(backfillId);
    if (backfill.status !== "requested") {
      throw new StrataError(
        "STRATA_ERR_BACKFILL_STATE",
        `backfill ${quote(backfillId)} is ${backfill.status}.`,
      );
    }
    return this.storage.updateBackfill(backfillId, { status: "canceled", endedAt: this.clock.now() });
  }

  /**
   * Run the partitions not yet completed, in order; stops early when the backfill is cancelled
   * (checked before each partition) or `stopAfter` partitions ran (lets tests interrupt it).
   */
  async run(backfillId: string, options: { stopAfter?: number } = {}): Promise<BackfillRecord> {
    let backfill = await this.require(backfillId);
    if (backfill.status !== "requested") {
      throw new StrataError(
        "STRATA_ERR_BACKFILL_STATE",
        `backfill ${quote(backfillId)} is ${backfill.status}.`,
      );
    }
    let ran = 0;
    for (const partition of backfill.partitions) {
      if (backfill.completed.includes(partition)) continue;
      if (options.stopAfter !== undefined && ran >= options.stopAfter) return backfill;
      const current = await this.require(backfillId);
      if (current.status !== "requested") return current;
      const result = await this.materializer.materialize({
        selection: backfill.assetKeys.join(","),
        partition,
        backfillId,
        origin: { kind: "backfill", name: backfillId },
        tags: { "strata/backfill": backfillId },
      });
      ran++;
      backfill = await this.storage.updateBackfill(backfillId, {
        completed: result.status === "success" ? [...current.completed, partition] : current.completed,
        failed:
          result.status === "success"
            ? current.failed.filter((p) => p !== partition)
            : [...new Set([...current.failed, partition])],
      });
    }
    const status = backfill.failed.length > 0 ? "failed" : "completed";
    return this.storage.updateBackfill(backfillId, { status, endedAt: this.clock.now() });
  }

  private async require(backfillId: string): Promise<BackfillRecord> {
    const backfill = await this.storage.getBackfill(backfillId);
    if (!backfill)
      throw new StrataError("STRATA_ERR_UNKNOWN_RUN", `backfill ${quote(backfillId)} does not exist.`);
    return backfill;
  }
}
