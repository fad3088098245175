import { type AssetContext, eager, inject, multiAsset, quote, StrataError } from "../../engine/index.ts";
import type { StrataConfig } from "../../resources/config/config.ts";
import type { DeltaTable } from "../../resources/delta/delta-table.ts";
import type { DeltaTables } from "../../resources/delta/delta-tables.ts";
import type { ObjectStore } from "../../resources/object-store/object-store.ts";
import { CONFIG, DELTA_TABLES, LAKE } from "../../resources/tokens.ts";
import { manifestsOfDay } from "../bronze/day-index.ts";
import type { ManifestRecord } from "../bronze/manifest.ts";
import { type BronzeDay, BronzeSalesCsv } from "../bronze/sales-csv.ts";
import { ingestionDays } from "../shared/partitions.ts";
import { newerSourceWins, SILVER_SALES_KEYS } from "./merge-rule.ts";
import { reconciliationCheck } from "./reconciliation.ts";
import {
  type BronzeObject,
  REJECTION_REASONS,
  type RejectionReason,
  transformToSilver,
  zeroCounts,
} from "./transform/index.ts";

export const SILVER_SALES_TABLE = "silver/sales";
export const SILVER_QUARANTINE_TABLE = "silver/sales_quarantine";

/** What one Silver run did; the reconciliation check reads it. */
export interface SilverSalesResult {
  readonly partition: string;
  readonly objectsProcessed: number;
  readonly rowsRead: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly quarantined: number;
  readonly deltaVersion: number;
}

export interface SilverQuarantineResult {
  readonly partition: string;
  readonly quarantined: number;
  readonly byReason: Readonly<Record<RejectionReason, number>>;
  readonly deltaVersion: number;
}

/**
 * Idempotency ledger: the Delta `txn` of each table records how many of the day's Bronze objects
 * it holds, counted in the order of the day index, whose positions never change (see
 * bronze/day-index.ts). A re-run processes only the objects after that count, and a crash between
 * the two commits is finished by the next run without duplicating quarantine rows.
 */
const appId = (partition: string): string => `strata/silver_sales/${partition}`;

/** The table's current version, -1 before it exists. */
async function versionOf(table: DeltaTable): Promise<number> {
  return (await table.exists()) ? (await table.snapshot()).version : -1;
}

@multiAsset({
  outs: {
    "silver/sales": { description: "Validated, standardised, deduplicated sales lines (Delta)" },
    "silver/sales_quarantine": {
      description: "Every rejected or dropped row with its reason (Delta, append-only)",
    },
  },
  ins: { bronze: BronzeSalesCsv },
  group: "silver",
  owners: ["data-platform"],
  codeVersion: "1",
  partitions: ingestionDays("2024-01-01"),
  // A steady stream of landings keeps some Bronze run of the day in flight; Silver catches up at
  // least every 2 s rather than waiting for a lull.
  automation: eager({ maxWaitSeconds: 2 }),
  checks: [reconciliationCheck],
})
export class SilverSales {
  constructor(
    @inject(DELTA_TABLES) private readonly tables: DeltaTables,
    @inject(LAKE) private readonly lake: ObjectStore,
    @inject(CONFIG) private readonly config: StrataConfig,
  ) {}

  async materialize(
    ctx: AssetContext,
    inputs: { bronze: BronzeDay },
  ): Promise<{ "silver/sales": SilverSalesResult; "silver/sales_quarantine": SilverQuarantineResult }> {
    // The day index as it is now, not as the Bronze run that triggered this one saw it: runs of a
    // day can finish out of order, and an older view would leave the newest objects waiting.
    const { partition } = inputs.bronze;
    const objects = await manifestsOfDay(this.lake, partition);
    const sales = this.tables.table(SILVER_SALES_TABLE);
    const quarantine = this.tables.table(SILVER_QUARANTINE_TABLE);
    const salesSnapshot = (await sales.exists()) ? await sales.snapshot() : undefined;
    const quarantineSnapshot = (await quarantine.exists()) ? await quarantine.snapshot() : undefined;
    const salesDone = salesSnapshot?.txnVersion(appId(partition)) ?? 0;
    const quarantineDone = quarantineSnapshot?.txnVersion(appId(partition)) ?? 0;
    const from = Math.min(salesDone, quarantineDone);
    const pending = objects.slice(from);
    const txn = { appId: appId(partition), version: objects.length };
    if (pending.length === 0) {
      ctx.log.info(`partition ${partition}: all ${objects.length} Bronze object(s) already in Silver`);
      return this.result(ctx, partition, 0, 0, { inserted: 0, updated: 0, unchanged: 0 }, zeroCounts(), [
        salesSnapshot?.version ?? -1,
        quarantineSnapshot?.version ?? -1,
      ]);
    }
    const transformed = transformToSilver(await this.load(pending), {
      runId: ctx.runId,
      processedAtMs: ctx.now(),
      dateFormats: this.config.silver.dateFormats,
      salesOutlierThreshold: this.config.silver.salesOutlierThreshold,
    });
    const { silver, quarantine: rejected, counts } = transformed;
    // Only on the first run (each check lists the log again).
    if (salesSnapshot === undefined)
      await sales.ensureCreated({ schema: silver, description: "Silver sales lines" });
    if (quarantineSnapshot === undefined)
      await quarantine.ensureCreated({
        schema: rejected,
        description: "Silver quarantine",
        properties: { "delta.appendOnly": "true" },
      });
    const merged =
      salesDone >= objects.length
        ? undefined
        : await sales.merge(silver, {
            keys: SILVER_SALES_KEYS,
            updateWhen: newerSourceWins,
            txn,
          });
    // Appended even when empty: the commit then carries only the ledger's txn, without which the
    // next run could not tell "no rejects" from "crashed before the quarantine commit".
    const appended =
      quarantineDone >= objects.length ? undefined : await quarantine.append(rejected, { txn });
    const metrics = merged?.metrics ?? { inserted: 0, updated: 0, unchanged: silver.height };
    return this.result(ctx, partition, pending.length, counts.rowsRead, metrics, counts.byReason, [
      merged?.version ?? (await versionOf(sales)),
      appended?.version ?? (await versionOf(quarantine)),
    ]);
  }

  private async load(records: readonly ManifestRecord[]): Promise<BronzeObject[]> {
    return Promise.all(
      records.map(async (record) => ({
        content: this.lake.localPath(record.objectKey) ?? (await this.lake.get(record.objectKey)),
        key: record.objectKey,
        sha256: record.sha256,
        ingestedAtMs: record.ingestedAt,
        sourceSystem: "BATCH" as const,
      })),
    );
  }

  private result(
    ctx: AssetContext,
    partition: string,
    objectsProcessed: number,
    rowsRead: number,
    metrics: { inserted: number; updated: number; unchanged: number },
    byReason: Readonly<Record<RejectionReason, number>>,
    [salesVersion, quarantineVersion]: readonly number[],
  ): { "silver/sales": SilverSalesResult; "silver/sales_quarantine": SilverQuarantineResult } {
    const quarantined = REJECTION_REASONS.reduce((sum, reason) => sum + byReason[reason], 0);
    if (salesVersion === undefined || quarantineVersion === undefined) {
      throw new StrataError(
        "STRATA_ERR_STEP_FAILED",
        `silver tables have no version after the run for ${quote(partition)}.`,
      );
    }
    ctx.addMetadata(
      {
        rows_read: rowsRead,
        inserted: metrics.inserted,
        updated: metrics.updated,
        unchanged: metrics.unchanged,
        quarantined,
        objects_processed: objectsProcessed,
        delta_version: salesVersion,
      },
      "silver/sales",
    );
    ctx.addMetadata(
      {
        quarantined,
        ...Object.fromEntries(REJECTION_REASONS.map((r) => [`reason_${r}`, byReason[r]])),
        delta_version: quarantineVersion,
      },
      "silver/sales_quarantine",
    );
    ctx.setDataVersion(`v${salesVersion}`, "silver/sales");
    ctx.setDataVersion(`v${quarantineVersion}`, "silver/sales_quarantine");
    return {
      "silver/sales": {
        partition,
        objectsProcessed,
        rowsRead,
        ...metrics,
        quarantined,
        deltaVersion: salesVersion,
      },
      "silver/sales_quarantine": { partition, quarantined, byReason, deltaVersion: quarantineVersion },
    };
  }
}
