import { quote, StrataError } from "../../engine/index.ts";
import type { ObjectStore } from "../../resources/object-store/object-store.ts";
import { encodeManifest, MANIFEST_ROOT, type ManifestRecord, parseManifest } from "./manifest.ts";

/**
 * The per-day index Silver reads: an append-only log of manifest records, one object per entry,
 * each named by a gapless sequence number claimed with put-if-absent. Entry k+1 is only written by
 * a writer that saw entry k, so any listing returns a prefix of the final log and an object's
 * position never changes. That is what lets Silver's ledger say "the first N objects of the day
 * are applied" and stay right when Bronze runs of one day race (ordering by ingestion time did
 * not: an object ingested earlier could become visible after Silver had counted past it).
 *
 * The same content can be indexed twice (a repair racing the original ingestion); readers keep its
 * first entry, and dropping later repeats of an append-only log leaves an append-only log.
 */
const SEQUENCE_DIGITS = 10;
const READ_CONCURRENCY = 16;
/** Each failed claim means another writer's claim succeeded, so this bounds a writer's bad luck. */
const CLAIM_ATTEMPTS = 500;

const dayPrefix = (partition: string): string => `${MANIFEST_ROOT}/by-day/day=${partition}/`;
const entryKey = (partition: string, sequence: number): string =>
  `${dayPrefix(partition)}${String(sequence).padStart(SEQUENCE_DIGITS, "0")}.json`;

/** What this process has read of one day's log; entries are immutable, so it only ever grows. */
interface DayLog {
  /** Raw entries, in sequence order (entry i has sequence i + 1). */
  readonly entries: ManifestRecord[];
  /** Records in log order with repeats of a content removed: what Silver processes. */
  readonly objects: ManifestRecord[];
  readonly hashes: Set<string>;
}

const logs = new Map<string, DayLog>();
const LOG_CACHE_LIMIT = 1_000;

function cachedLog(lake: ObjectStore, partition: string): DayLog {
  const id = `${lake.url}\n${partition}`;
  let log = logs.get(id);
  if (log === undefined) {
    log = { entries: [], objects: [], hashes: new Set() };
    logs.set(id, log);
    if (logs.size > LOG_CACHE_LIMIT) {
      const oldest = logs.keys().next();
      if (oldest.done !== true) logs.delete(oldest.value);
    }
  }
  return log;
}

function sequenceOf(key: string, partition: string): number | undefined {
  const name = key.slice(dayPrefix(partition).length);
  const match = /^(\d+)\.json$/.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Reads the entries written since this process last looked (a listing after the last known key). */
async function refresh(lake: ObjectStore, partition: string): Promise<DayLog> {
  const log = cachedLog(lake, partition);
  const known = log.entries.length;
  const keys: string[] = [];
  const startAfter = known === 0 ? undefined : entryKey(partition, known);
  for await (const info of lake.list(dayPrefix(partition), { startAfter })) {
    // Stop at a gap: the log is only trusted as a prefix (a later entry cannot exist without the
    // earlier one, but a foreign file must not shift positions).
    if (sequenceOf(info.key, partition) !== known + keys.length + 1) break;
    keys.push(info.key);
  }
  for (let i = 0; i < keys.length; i += READ_CONCURRENCY) {
    const batch = keys.slice(i, i + READ_CONCURRENCY);
    const records = await Promise.all(batch.map(async (key) => parseManifest(await lake.get(key), key)));
    // A concurrent refresh of the same log may have appended these already.
    if (log.entries.length !== known + i) return refresh(lake, partition);
    for (const record of records) {
      log.entries.push(record);
      if (!log.hashes.has(record.sha256)) {
        log.hashes.add(record.sha256);
        log.objects.push(record);
      }
    }
  }
  return log;
}

/** Every object ingested on a day, in the order they entered the day's log (each content once). */
export async function manifestsOfDay(lake: ObjectStore, partition: string): Promise<ManifestRecord[]> {
  return [...(await refresh(lake, partition)).objects];
}

/** Appends the record to its day's log unless its content is already there. */
export async function addToDayIndex(lake: ObjectStore, record: ManifestRecord): Promise<void> {
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const log = await refresh(lake, record.partition);
    if (log.hashes.has(record.sha256)) return;
    if (await lake.putIfAbsent(entryKey(record.partition, log.entries.length + 1), encodeManifest(record)))
      return;
  }
  throw new StrataError(
    "STRATA_ERR_BRONZE_DAY_INDEX_CONTENDED",
    `could not add ${quote(record.objectKey)} to the day index of ${quote(record.partition)} after ${CLAIM_ATTEMPTS} attempts.`,
  );
}
