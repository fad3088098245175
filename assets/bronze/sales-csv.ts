import { createHash } from "node:crypto";
import { type AssetContext, asset, inject, quote, StrataError } from "../../engine/index.ts";
import type { ObjectStore } from "../../resources/object-store/object-store.ts";
import { LAKE } from "../../resources/tokens.ts";
import { dayOf, ingestionDays } from "../shared/partitions.ts";
import { countCsvRecords } from "./count-records.ts";
import {
  byContentKey,
  byDayKey,
  encodeManifest,
  type ManifestRecord,
  manifestsOfDay,
  readManifestByContent,
} from "./manifest.ts";

export const LANDING_PREFIX = "landing/sales/";

/** What Bronze hands to Silver for a day: every object ingested that day, oldest first. */
export interface BronzeDay {
  readonly partition: string;
  readonly objects: readonly ManifestRecord[];
}

function bronzeKey(partition: string, sha256: string, name: string): string {
  const [year, month, day] = partition.split("-");
  return `bronze/sales_csv/year=${year}/month=${month}/day=${day}/${sha256.slice(0, 16)}-${name}`;
}

/**
 * Bronze batch ingestion: every file that landed in the landing zone on the partition's day is
 * copied byte-for-byte to a content-addressed key and described by a manifest record. Idempotent by
 * content: the manifest keyed by SHA-256 is written with put-if-absent, so the same bytes under any
 * name are ingested once, and a changed file under an old name is a new object.
 */
@asset({
  key: "bronze/sales_csv",
  group: "bronze",
  description: "Raw sales CSV files, byte-for-byte, content-addressed, with an append-only manifest",
  owners: ["data-platform"],
  tags: { source: "erp_csv" },
  codeVersion: "1",
  partitions: ingestionDays("2024-01-01"),
})
export class BronzeSalesCsv {
  constructor(@inject(LAKE) private readonly lake: ObjectStore) {}

  async materialize(ctx: AssetContext): Promise<BronzeDay> {
    const partition = ctx.partition;
    if (partition === undefined)
      throw new StrataError(
        "STRATA_ERR_PARTITION_MISMATCH",
        "bronze/sales_csv needs a partition (the ingestion day).",
      );
    let ingested = 0;
    let alreadyIngested = 0;
    for await (const landed of this.lake.list(LANDING_PREFIX)) {
      if (dayOf(landed.lastModified) !== partition) continue;
      const outcome = await this.ingest(ctx, landed.key, partition);
      if (outcome === "ingested") ingested++;
      else alreadyIngested++;
    }
    const objects = await manifestsOfDay(this.lake, partition);
    ctx.addMetadata({
      objects_ingested: ingested,
      objects_already_ingested: alreadyIngested,
      objects_in_partition: objects.length,
      rows_in_partition: objects.reduce((sum, o) => sum + o.rowCount, 0),
      bytes_in_partition: objects.reduce((sum, o) => sum + o.size, 0),
    });
    ctx.log.info(`partition ${partition}: ${ingested} new object(s), ${alreadyIngested} already ingested`);
    return { partition, objects };
  }

  private async ingest(
    ctx: AssetContext,
    landingKey: string,
    partition: string,
  ): Promise<"ingested" | "duplicate"> {
    const bytes = await this.lake.get(landingKey);
    if (bytes.length === 0) {
      throw new StrataError(
        "STRATA_ERR_SILVER_TRUNCATED",
        `landing object ${quote(landingKey)} is empty; nothing was ingested.`,
      );
    }
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const existing = await readManifestByContent(this.lake, sha256);
    if (existing) {
      // Same bytes seen before (maybe under another name): only repair a missing day index.
      await this.lake.putIfAbsent(byDayKey(existing.partition, sha256), encodeManifest(existing));
      if (existing.landingKey !== landingKey)
        ctx.log.info(`${landingKey} has the same content as ${existing.landingKey}: not ingested again`);
      return "duplicate";
    }
    const name = landingKey.slice(LANDING_PREFIX.length).replaceAll("/", "_");
    const now = ctx.now();
    const record: ManifestRecord = {
      objectKey: bronzeKey(partition, sha256, name),
      originalName: name,
      landingKey,
      sha256,
      size: bytes.length,
      rowCount: countCsvRecords(bytes),
      ingestedAt: now,
      ingestedAtIso: new Date(now).toISOString(),
      partition,
      runId: ctx.runId,
    };
    await this.lake.put(record.objectKey, bytes, {
      metadata: { sha256, "ingested-at": record.ingestedAtIso },
      contentType: "text/csv",
    });
    if (!(await this.lake.putIfAbsent(byContentKey(sha256), encodeManifest(record)))) return "duplicate"; // a concurrent ingest won
    await this.lake.putIfAbsent(byDayKey(partition, sha256), encodeManifest(record));
    return "ingested";
  }
}
