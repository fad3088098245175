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

export const MANIFEST_ROOT = "bronze/_manifests/sales_csv";
/** The commit point of an ingestion, keyed by content: the same bytes are never ingested twice. */
export const byContentKey = (sha256: string): string => `${MANIFEST_ROOT}/by-sha256/${sha256}.json`;

/** A landing object Bronze refused because Silver could never read it (dead-letter record). */
export interface RefusedRecord {
  readonly landingKey: string;
  readonly sha256: string;
  readonly partition: string;
  readonly code: string;
  readonly message: string;
  readonly refusedAt: string;
  readonly runId: string;
}

export const REFUSED_ROOT = "bronze/_refused/sales_csv";
export const refusedKey = (sha256: string): string => `${REFUSED_ROOT}/${sha256}.json`;
export const encodeRefused = (record: RefusedRecord): Uint8Array =>
  new TextEncoder().encode(`${JSON.stringify(record)}\n`);

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
