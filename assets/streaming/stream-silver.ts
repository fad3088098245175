import { createHash } from "node:crypto";
import pl from "nodejs-polars";
import type { DeltaTable } from "../../resources/delta/delta-table.ts";
import type { DeltaTables } from "../../resources/delta/delta-tables.ts";
import type { DeltaSnapshot } from "../../resources/delta/snapshot.ts";
import { newerSourceWins, SILVER_SALES_KEYS } from "../silver/merge-rule.ts";
import { SILVER_QUARANTINE_TABLE, SILVER_SALES_TABLE } from "../silver/sales.ts";
import { type BronzeObject, transformToSilver } from "../silver/transform/index.ts";
import { eventsToCsv, linesFrom } from "./jsonl.ts";
import type { SilverKeyIndex } from "./key-index.ts";
import { firstPendingLine, nextOffset, streamAppId } from "./offsets.ts";

/** One streaming Bronze object: `count` consecutive offsets of one partition from `startOffset`. */
export interface EventObject {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
  readonly count: number;
  readonly ingestedAtMs: number;
  /** The object's bytes when at hand (just written); otherwise read from the lake. */
  readonly bytes?: Uint8Array;
}

export interface StreamSilverCounts {
  readonly rowsRead: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly quarantined: number;
  /** Records skipped because the Silver txn already held them (replays). */
  readonly alreadyApplied: number;
  readonly objectsProcessed: number;
  readonly deltaVersion: number;
}

export interface StreamSilverOptions {
  readonly runId: string;
  readonly nowMs: number;
  readonly dateFormats: readonly string[];
  readonly salesOutlierThreshold: number;
  readonly load: (key: string) => Promise<Uint8Array>;
  /** Keys Silver holds: new keys are appended, only known ones merged (see key-index.ts). */
  readonly keys?: SilverKeyIndex;
  /**
   * Settles when the objects are durable in Bronze: the transform runs meanwhile, the commits wait
   * for it, so no Silver row ever names a Bronze object that is not there.
   */
  readonly bronzeDurable?: Promise<unknown>;
}

/** The table's snapshot, undefined before it exists. Loaded once per call: each load replays the log. */
const snapshotOf = async (table: DeltaTable): Promise<DeltaSnapshot | undefined> =>
  (await table.exists()) ? await table.snapshot() : undefined;

/** One topic-partition's share of a call: its ledger positions in both tables and its pending objects. */
interface PartitionWork {
  readonly appId: string;
  /** The txn version after this call: the next offset to read. */
  readonly version: number;
  readonly salesAt: number | undefined;
  readonly quarantineAt: number | undefined;
  readonly prepared: readonly Prepared[];
}

/**
 * Merge streaming Bronze objects into `silver/sales` (and their rejects into the quarantine) with
 * exactly-once effect: one Delta commit per table and topic-partition, carrying the txn
 * (appId = the partition, version = the next offset). Records below a table's txn version are
 * already in that table and are filtered out, so replays and crash recovery never duplicate a row.
 * All partitions of a call go through one Silver transform (its cost is mostly per call, not per
 * row); only the commits are per partition, because a Delta commit carries one txn here.
 */
export async function applyEventObjects(
  tables: DeltaTables,
  objects: readonly EventObject[],
  options: StreamSilverOptions,
): Promise<StreamSilverCounts> {
  const sales = tables.table(SILVER_SALES_TABLE);
  const quarantine = tables.table(SILVER_QUARANTINE_TABLE);
  const byPartition = new Map<string, EventObject[]>();
  for (const object of objects) {
    const id = streamAppId(object.topic, object.partition);
    byPartition.set(id, [...(byPartition.get(id) ?? []), object]);
  }
  const total = { rowsRead: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0, alreadyApplied: 0 };
  let objectsProcessed = 0;
  let deltaVersion = -1;
  // Each partition has its own appId, so the snapshots taken up front are exact for every partition.
  const [salesSnapshot, quarantineSnapshot] = await Promise.all([snapshotOf(sales), snapshotOf(quarantine)]);
  const work: PartitionWork[] = [];
  for (const [appId, group] of byPartition) {
    group.sort((a, b) => a.startOffset - b.startOffset);
    const last = group[group.length - 1];
    if (last === undefined) continue;
    const salesAt = salesSnapshot?.txnVersion(appId);
    const quarantineAt = quarantineSnapshot?.txnVersion(appId);
    const from = Math.min(salesAt ?? -1, quarantineAt ?? -1);
    const applied = from < 0 ? undefined : from;
    const pending = group.filter((o) => firstPendingLine(o, applied) < o.count);
    total.alreadyApplied += group.reduce((n, o) => n + Math.min(o.count, firstPendingLine(o, applied)), 0);
    if (pending.length === 0) continue;
    const prepared = await Promise.all(pending.map((o) => prepare(o, applied, options)));
    work.push({ appId, version: nextOffset(last), salesAt, quarantineAt, prepared });
    objectsProcessed += pending.length;
  }
  if (work.length > 0) {
    const all = work.flatMap((w) => w.prepared);
    const result = transformToSilver(
      all.map((p) => p.bronze),
      {
        runId: options.runId,
        processedAtMs: options.nowMs,
        dateFormats: options.dateFormats,
        salesOutlierThreshold: options.salesOutlierThreshold,
      },
    );
    const silverAll = withEventIds(result.silver, all);
    await options.bronzeDurable;
    if (salesSnapshot === undefined || quarantineSnapshot === undefined) {
      await sales.ensureCreated({ schema: silverAll, description: "Silver sales lines" });
      await quarantine.ensureCreated({
        schema: result.quarantine,
        description: "Silver quarantine",
        properties: { "delta.appendOnly": "true" },
      });
    }
    for (const w of work) {
      // A table ahead of the other (crash between the two commits) must not see its records again.
      const silver = rowsOf(silverAll, w.prepared, w.salesAt, work.length > 1);
      const rejected = rowsOf(result.quarantine, w.prepared, w.quarantineAt, work.length > 1);
      const txn = { appId: w.appId, version: w.version };
      // The two tables commit side by side: each carries its own txn, and a crash between them
      // leaves one table ahead, which the next call handles (rowsOf). Their waits (data file and
      // commit fsyncs) overlap instead of adding up.
      const [written] = await Promise.all([
        (w.salesAt ?? -1) < w.version
          ? writeSales(sales, silver, txn, options.keys, salesSnapshot)
          : undefined,
        // Always committed, even with no rows: the txn keeps both tables' ledgers in step.
        (w.quarantineAt ?? -1) < w.version ? quarantine.append(rejected, { txn }) : undefined,
      ]);
      if (written !== undefined) {
        total.inserted += written.inserted;
        total.updated += written.updated;
        total.unchanged += written.unchanged;
        deltaVersion = written.version;
      }
      total.rowsRead += silver.height + rejected.height;
      total.quarantined += rejected.height;
    }
  }
  if (deltaVersion < 0 && (await sales.exists())) deltaVersion = (await sales.snapshot()).version;
  return { ...total, objectsProcessed, deltaVersion };
}

/**
 * The rows of one partition's objects whose offset is at or after the table's txn version `at`.
 * Without a filter when every row qualifies (the usual case: one partition, tables in step).
 */
function rowsOf(
  frame: pl.DataFrame,
  prepared: readonly Prepared[],
  at: number | undefined,
  shared: boolean,
): pl.DataFrame {
  const allPending = at === undefined || prepared.every((p) => p.firstOffset >= at);
  if (allPending && !shared) return frame;
  if (allPending) return frame.filter(pl.col("source_object").isIn(prepared.map((p) => p.key)));
  return frame.filter(keepFrom(prepared, at));
}

/**
 * Rows into silver/sales; the last commit carries the txn. With a key index, rows of new keys are
 * appended (no file reads) and only the others merged, newer source winning as in the batch path. A
 * crash between the append and the merge replays the batch: the index then knows the appended keys,
 * so they take the merge path and come out unchanged, never twice.
 */
async function writeSales(
  sales: DeltaTable,
  silver: pl.DataFrame,
  txn: { appId: string; version: number },
  keys: SilverKeyIndex | undefined,
  snapshot: DeltaSnapshot | undefined,
): Promise<{ inserted: number; updated: number; unchanged: number; version: number }> {
  const merge = async (frame: pl.DataFrame) => {
    const merged = await sales.merge(frame, {
      keys: SILVER_SALES_KEYS,
      updateWhen: newerSourceWins,
      mergeSchema: true,
      txn,
    });
    return { ...merged.metrics, version: merged.version };
  };
  if (keys === undefined) return merge(silver);
  await keys.refresh(sales, snapshot);
  const flagged = silver.withColumn(keys.existing(silver));
  const fresh = flagged.filter(pl.col("existing").not()).drop("existing");
  const known = flagged.filter(pl.col("existing")).drop("existing");
  let result: { inserted: number; updated: number; unchanged: number; version: number };
  if (known.height === 0) {
    const appended = await sales.append(fresh, { mergeSchema: true, txn });
    result = { inserted: fresh.height, updated: 0, unchanged: 0, version: appended.version };
  } else {
    if (fresh.height > 0) await sales.append(fresh, { mergeSchema: true });
    const merged = await merge(known);
    result = { ...merged, inserted: merged.inserted + fresh.height };
  }
  keys.addFrame(silver);
  return result;
}

interface Prepared {
  readonly bronze: BronzeObject;
  readonly key: string;
  /** Offset of the first line handed to the transform (row number 1). */
  readonly firstOffset: number;
  /** `source_row_number` → `event_id` of the lines handed to the transform. */
  readonly eventIds: pl.DataFrame;
}

async function prepare(
  object: EventObject,
  applied: number | undefined,
  options: StreamSilverOptions,
): Promise<Prepared> {
  const bytes = object.bytes ?? (await options.load(object.key));
  const skip = firstPendingLine(object, applied);
  const lines = linesFrom(bytes, skip);
  const { csv, eventIds } = eventsToCsv(lines);
  const firstOffset = object.startOffset + skip;
  return {
    bronze: {
      content: csv,
      key: object.key,
      // Row ids derive from (hash, row number): hashing the partition and first offset makes the same
      // record get the same row id on every replay.
      sha256: createHash("sha256").update(`${object.topic}+${object.partition}+${firstOffset}`).digest("hex"),
      ingestedAtMs: object.ingestedAtMs,
      sourceSystem: "KAFKA",
      startOffset: firstOffset,
      // Already converted by eventsToCsv (polars, native): the transform must not parse it as JSONL.
      format: "csv",
    },
    key: object.key,
    firstOffset,
    eventIds,
  };
}

/** Rows of these objects whose offset (first offset + row number − 1) is at or after `at`. */
function keepFrom(prepared: readonly Prepared[], at: number): pl.Expr {
  let keep: pl.Expr = pl.lit(false);
  for (const p of prepared) {
    keep = keep.or(
      pl
        .col("source_object")
        .eq(pl.lit(p.key))
        .and(pl.col("source_row_number").gtEq(pl.lit(at - p.firstOffset + 1))),
    );
  }
  return keep;
}

/** Silver keeps the event id of each Kafka row (a nullable column the batch rows leave empty). */
function withEventIds(silver: pl.DataFrame, prepared: readonly Prepared[]): pl.DataFrame {
  const frames = prepared.map((p) => p.eventIds.withColumn(pl.lit(p.key).alias("source_object")));
  const lookup = frames.length === 1 && frames[0] !== undefined ? frames[0] : pl.concat(frames);
  return silver.join(lookup, { on: ["source_object", "source_row_number"], how: "left" });
}
