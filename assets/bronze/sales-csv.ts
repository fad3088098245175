import { createHash } from "node:crypto";
import { type AssetContext, asset, inject, quote, StrataError } from "../../engine/index.ts";
import type { ObjectStore } from "../../resources/object-store/object-store.ts";
import { LAKE } from "../../resources/tokens.ts";
import { dayOf, ingestionDays } from "../shared/partitions.ts";
import { addToDayIndex, manifestsOfDay } from "./day-index.ts";
import { checkLandingCsv } from "./landing-gate.ts";
import {
  byContentKey,
  encodeManifest,
  encodeRefused,
  type ManifestRecord,
  type RefusedRecord,
  readManifestByContent,
  refusedKey,
} from "./manifest.ts";

export const LANDING_PREFIX = "landing/sales/";
/** Set by the landing sensor on the runs it requests (sensors/landing.ts): the object to ingest. */
export const LANDING_KEY_TAG = "strata/landing-key";

/** What Bronze hands to Silver for a day: every object in the day's index when the run ended. */
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
    let refusedBefore = 0;
    const refused: StrataError[] = [];
    for (const landingKey of await this.landed(ctx, partition)) {
      const outcome = await this.ingest(ctx, landingKey, partition);
      if (outcome === "ingested") ingested++;
      else if (outcome === "duplicate") alreadyIngested++;
      else if (outcome === "refused before") refusedBefore++;
      else if (outcome instanceof StrataError) refused.push(outcome);
    }
    // The readable objects are committed either way; a newly refused one fails the run, once.
    const [first, ...more] = refused;
    if (first !== undefined && more.length === 0) throw first;
    if (first !== undefined) {
      throw new StrataError(
        "STRATA_ERR_LANDING_REFUSED",
        `${refused.length} landing objects of ${quote(partition)} were not ingested: ${refused.map((e) => e.message).join(" | ")}`,
      );
    }
    const objects = await manifestsOfDay(this.lake, partition);
    ctx.addMetadata({
      objects_ingested: ingested,
      objects_already_ingested: alreadyIngested,
      objects_refused_before: refusedBefore,
      objects_in_partition: objects.length,
      rows_in_partition: objects.reduce((sum, o) => sum + o.rowCount, 0),
      bytes_in_partition: objects.reduce((sum, o) => sum + o.size, 0),
    });
    ctx.log.info(`partition ${partition}: ${ingested} new object(s), ${alreadyIngested} already ingested`);
    return { partition, objects };
  }

  /**
   * The landing objects this run ingests: the one object a sensor run names in its tags (the sensor
   * requests a run per object, so a day of N objects costs N small runs, not N listings of the
   * day), or every object that landed on the partition's day (schedule, backfill, manual run).
   */
  private async landed(ctx: AssetContext, partition: string): Promise<string[]> {
    const named = ctx.tags[LANDING_KEY_TAG];
    if (named?.startsWith(LANDING_PREFIX)) return [named];
    const keys: string[] = [];
    for await (const landed of this.lake.list(LANDING_PREFIX)) {
      if (dayOf(landed.lastModified) === partition) keys.push(landed.key);
    }
    return keys;
  }

  private async ingest(
    ctx: AssetContext,
    landingKey: string,
    partition: string,
  ): Promise<"ingested" | "duplicate" | "gone" | "refused before" | StrataError> {
    const bytes = await this.lake.getIfExists(landingKey);
    if (bytes === undefined) {
      // Removed from the landing zone after the sensor listed it: nothing left to ingest.
      ctx.log.warn(`${landingKey} is no longer in the landing zone; nothing ingested`);
      return "gone";
    }
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const existing = await readManifestByContent(this.lake, sha256);
    if (existing) {
      // Same bytes seen before (maybe under another name): only repair a missing day index.
      await addToDayIndex(this.lake, existing);
      if (existing.landingKey !== landingKey)
        ctx.log.info(`${landingKey} has the same content as ${existing.landingKey}: not ingested again`);
      return "duplicate";
    }
    const gate = checkLandingCsv(bytes, landingKey);
    if (!gate.readable) return this.refuse(ctx, landingKey, partition, sha256, gate.error);
    const name = landingKey.slice(LANDING_PREFIX.length).replaceAll("/", "_");
    const now = ctx.now();
    const record: ManifestRecord = {
      objectKey: bronzeKey(partition, sha256, name),
      originalName: name,
      landingKey,
      sha256,
      size: bytes.length,
      rowCount: gate.records,
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
    await addToDayIndex(this.lake, record);
    return "ingested";
  }

  /**
   * Records an unreadable object (by content) so that later runs of its day skip it with a warning
   * instead of failing again; the first run to meet it fails with the parser's coded error.
   */
  private async refuse(
    ctx: AssetContext,
    landingKey: string,
    partition: string,
    sha256: string,
    error: StrataError,
  ): Promise<"refused before" | StrataError> {
    const record: RefusedRecord = {
      landingKey,
      sha256,
      partition,
      code: error.code,
      message: error.message,
      refusedAt: new Date(ctx.now()).toISOString(),
      runId: ctx.runId,
    };
    if (await this.lake.putIfAbsent(refusedKey(sha256), encodeRefused(record))) return error;
    ctx.log.warn(`${landingKey} was refused before (${error.code}); not ingested`);
    return "refused before";
  }
}
