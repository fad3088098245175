import { quote, StrataError } from "../../engine/index.ts";
import type { ObjectStore } from "../../resources/object-store/object-store.ts";

/** One ingested Bronze object: written once, never changed. */
export interface ManifestRecord {
  readonly objectKey: string;
  readonly originalName: string;
  readonly landingKey: string;
  readonly sha256: string;
  readonly size: number;
  readonly rowCount: number;
  /** Ingestion time, epoch ms (UTC) and ISO form. */
  readonly ingestedAt: number;
  readonly ingestedAtIso: string;
  readonly partition: string;
  readonly runId: string;
}

const ROOT = "bronze/_manifests/sales_csv";
/** The commit point of an ingestion, keyed by content: the same bytes are never ingested twice. */
export const byContentKey = (sha256: string): string => `${ROOT}/by-sha256/${sha256}.json`;
/** The per-day index Silver reads, written after the commit point (and repaired if missing). */
export const byDayKey = (partition: string, sha256: string): string =>
  `${ROOT}/day=${partition}/${sha256}.json`;

function isManifestRecord(value: unknown): value is ManifestRecord {
  if (typeof value !== "object" || value === null) return false;
  const fields: Record<string, string> = {
    objectKey: "string",
    originalName: "string",
    landingKey: "string",
    sha256: "string",
    size: "number",
    rowCount: "number",
    ingestedAt: "number",
    ingestedAtIso: "string",
    partition: "string",
    runId: "string",
  };
  return Object.entries(fields).every(
    ([name, type]) => name in value && typeof Object.getOwnPropertyDescriptor(value, name)?.value === type,
  );
}

export function parseManifest(bytes: Uint8Array, key: string): ManifestRecord {
  const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (!isManifestRecord(parsed)) {
    throw new StrataError(
      "STRATA_ERR_BRONZE_MANIFEST",
      `manifest ${quote(key)} is not a Bronze manifest record.`,
    );
  }
  return parsed;
}

export const encodeManifest = (record: ManifestRecord): Uint8Array =>
  new TextEncoder().encode(`${JSON.stringify(record)}\n`);

export async function readManifestByContent(
  lake: ObjectStore,
  sha256: string,
): Promise<ManifestRecord | undefined> {
  const key = byContentKey(sha256);
  const bytes = await lake.getIfExists(key);
  return bytes === undefined ? undefined : parseManifest(bytes, key);
}

/**
 * Day-index records already read, by lake and key. A record is written once (put-if-absent) and
 * never changed, so a cached copy is never stale; without it a day of N objects ingested one run
 * at a time would read N²/2 records from the lake. Bounded: the oldest entries are dropped first.
 */
const recordCache = new Map<string, ManifestRecord>();
const RECORD_CACHE_LIMIT = 200_000;
const READ_CONCURRENCY = 16;

async function cachedRecord(lake: ObjectStore, key: string): Promise<ManifestRecord> {
  const id = `${lake.url}\n${key}`;
  const cached = recordCache.get(id);
  if (cached !== undefined) return cached;
  const record = parseManifest(await lake.get(key), key);
  recordCache.set(id, record);
  if (recordCache.size > RECORD_CACHE_LIMIT) {
    const oldest = recordCache.keys().next();
    if (oldest.done !== true) recordCache.delete(oldest.value);
  }
  return record;
}

/** Every object ingested on a day, oldest first (ties by hash): Silver processes them in this order. */
export async function manifestsOfDay(lake: ObjectStore, partition: string): Promise<ManifestRecord[]> {
  const keys: string[] = [];
  for await (const info of lake.list(`${ROOT}/day=${partition}/`)) keys.push(info.key);
  const records: ManifestRecord[] = [];
  for (let i = 0; i < keys.length; i += READ_CONCURRENCY) {
    records.push(
      ...(await Promise.all(keys.slice(i, i + READ_CONCURRENCY).map((key) => cachedRecord(lake, key)))),
    );
  }
  return records.sort((a, b) => a.ingestedAt - b.ingestedAt || a.sha256.localeCompare(b.sha256));
}
