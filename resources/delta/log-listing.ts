/**
 * What is in a table's `_delta_log/`: commits and classic checkpoints by version, found by listing
 * the directory's direct children. Only names matching the version-file patterns count: `.crc`
 * checksums, compaction files, `.tmp/` leftovers of uncommitted Spark attempts, `_commit_*.json.tmp`
 * of delta-rs, `_sidecars/` and `_staged_commits/` are not part of the log (PROTOCOL.md "File Types").
 * `_last_checkpoint` is only a hint to start listing late; it may be empty, corrupt or stale.
 */
import type { ObjectInfo, ObjectStore } from "../object-store/object-store.ts";
import { isRecord } from "./log-actions.ts";

const COMMIT = /^(\d{20})\.json$/;
const CHECKPOINT = /^(\d{20})\.checkpoint\.parquet$/;
const MULTI_PART = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const UUID_CHECKPOINT = /^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(?:json|parquet)$/;

export interface CheckpointFiles {
  readonly version: number;
  /** Object keys of the parts, in part order (one key for a single-file checkpoint). */
  readonly keys: readonly string[];
  /** The parts' etags, in part order: with the keys, the identity of the checkpoint's content. */
  readonly etags: readonly string[];
  readonly lastModified: number;
}

export interface LogListing {
  readonly commits: ReadonlyMap<number, ObjectInfo>;
  /** Complete classic checkpoints only; multi-part checkpoints with a missing part are ignored. */
  readonly checkpoints: ReadonlyMap<number, CheckpointFiles>;
  /** Versions that only have a V2 (UUID-named) checkpoint, which needs the v2Checkpoint feature. */
  readonly v2Checkpoints: ReadonlySet<number>;
}

/** `silver/sales` → `silver/sales/_delta_log/`; the store root itself → `_delta_log/`. */
export function logPrefix(tableRoot: string): string {
  const root = tableRoot.replace(/\/+$/, "");
  return root === "" ? "_delta_log/" : `${root}/_delta_log/`;
}

export function padVersion(version: number): string {
  return String(version).padStart(20, "0");
}

/** What `_last_checkpoint` says: the checkpoint's version and, for a multi-part one, its number of parts. */
export interface CheckpointHint {
  readonly version: number;
  readonly parts: number | undefined;
}

/** `_last_checkpoint`'s content, or undefined when it is missing, empty or not valid JSON. */
export async function readLastCheckpointHint(
  store: ObjectStore,
  tableRoot: string,
): Promise<CheckpointHint | undefined> {
  const bytes = await store.getIfExists(`${logPrefix(tableRoot)}_last_checkpoint`);
  if (bytes === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (
      isRecord(parsed) &&
      typeof parsed.version === "number" &&
      Number.isInteger(parsed.version) &&
      parsed.version >= 0
    ) {
      const { parts } = parsed;
      const multiPart = typeof parts === "number" && Number.isInteger(parts) && parts > 0;
      return { version: parsed.version, parts: multiPart ? parts : undefined };
    }
  } catch {
    // A corrupt hint is ignored: the listing is the source of truth.
  }
  return undefined;
}

/** Commits probed after a hinted checkpoint before giving up on probing (the hint is likely stale). */
const MAX_PROBED_COMMITS = 100;
/** Keys probed at once. */
const PROBE_WINDOW = 8;

/**
 * The log from the hinted checkpoint on, found by asking for the keys it must have instead of
 * listing: the checkpoint's parts, then commits from its version until one is missing (Delta commits
 * are contiguous). For a local folder, where listing reads the whole directory whatever the
 * start-after cursor and a streaming table's log gains a commit every few seconds, this is a few
 * stats instead of a directory scan. Undefined when a part is missing or more than
 * MAX_PROBED_COMMITS commits follow it: the caller lists instead (and finds any newer checkpoint).
 */
export async function probeLog(
  store: ObjectStore,
  tableRoot: string,
  hint: CheckpointHint,
): Promise<LogListing | undefined> {
  const prefix = logPrefix(tableRoot);
  const base = prefix + padVersion(hint.version);
  const partKeys =
    hint.parts === undefined
      ? [`${base}.checkpoint.parquet`]
      : Array.from(
          { length: hint.parts },
          (_, i) =>
            `${base}.checkpoint.${String(i + 1).padStart(10, "0")}.${String(hint.parts).padStart(10, "0")}.parquet`,
        );
  // Per version, its commit and (after the hinted one) a single-file checkpoint: a hint left stale
  // by a crash after a newer checkpoint was written must not hide that checkpoint.
  const probe = (versions: readonly number[]) =>
    Promise.all(
      versions.map(async (version) => {
        const name = prefix + padVersion(version);
        const [commit, checkpoint] = await Promise.all([
          store.head(`${name}.json`),
          version > hint.version ? store.head(`${name}.checkpoint.parquet`) : undefined,
        ]);
        return { version, commit, checkpoint };
      }),
    );
  // The parts and the first two versions at once: usually all there is to ask.
  const [parts, first] = await Promise.all([
    Promise.all(partKeys.map((key) => store.head(key))),
    probe([hint.version, hint.version + 1]),
  ]);
  const found = parts.filter((part): part is NonNullable<typeof part> => part !== undefined);
  if (found.length !== partKeys.length) return undefined;
  const commits = new Map<number, ObjectInfo>();
  const checkpoints = new Map<number, CheckpointFiles>([
    [
      hint.version,
      {
        version: hint.version,
        keys: found.map((part) => part.key),
        etags: found.map((part) => part.etag),
        lastModified: Math.max(...found.map((part) => part.lastModified)),
      },
    ],
  ]);
  let probed = first;
  let from = hint.version;
  while (true) {
    for (const { version, commit, checkpoint: newer } of probed) {
      // The checkpoint's own commit may be gone (cleaned up); any later gap ends the log.
      if (commit === undefined && version > hint.version) {
        return {
          commits,
          checkpoints,
          v2Checkpoints: new Set(),
        };
      }
      if (commit !== undefined) commits.set(version, commit);
      if (newer !== undefined) {
        checkpoints.set(version, {
          version,
          keys: [newer.key],
          etags: [newer.etag],
          lastModified: newer.lastModified,
        });
      }
    }
    from += probed.length;
    if (from > hint.version + MAX_PROBED_COMMITS) return undefined;
    const start = from;
    probed = await probe(Array.from({ length: PROBE_WINDOW }, (_, i) => start + i));
  }
}

/** List the log; with `fromVersion`, only files of that version and later (S3 StartAfter). */
export async function listLog(
  store: ObjectStore,
  tableRoot: string,
  fromVersion?: number,
): Promise<LogListing> {
  const prefix = logPrefix(tableRoot);
  const commits = new Map<number, ObjectInfo>();
  const parts = new Map<
    string,
    { version: number; total: number; parts: Map<number, ObjectInfo>; lastModified: number }
  >();
  const v2Checkpoints = new Set<number>();
  // Every "<version>.<suffix>" key of version v sorts after the bare "<prefix><padded v>".
  const options =
    fromVersion === undefined || fromVersion <= 0 ? {} : { startAfter: prefix + padVersion(fromVersion) };
  for await (const object of store.list(prefix, options)) {
    const name = object.key.slice(prefix.length);
    if (name.includes("/")) continue; // .tmp/, _sidecars/, _staged_commits/ ...
    const commit = COMMIT.exec(name);
    if (commit) {
      commits.set(Number(commit[1]), object);
      continue;
    }
    const single = CHECKPOINT.exec(name);
    const multi = MULTI_PART.exec(name);
    if (single || multi) {
      const version = Number((single ?? multi)?.[1]);
      const part = multi ? Number(multi[2]) : 1;
      const total = multi ? Number(multi[3]) : 1;
      const id = `${version}/${total}`;
      const entry = parts.get(id) ?? {
        version,
        total,
        parts: new Map<number, ObjectInfo>(),
        lastModified: 0,
      };
      entry.parts.set(part, object);
      entry.lastModified = Math.max(entry.lastModified, object.lastModified);
      parts.set(id, entry);
      continue;
    }
    const v2 = UUID_CHECKPOINT.exec(name);
    if (v2) v2Checkpoints.add(Number(v2[1]));
  }
  const checkpoints = new Map<number, CheckpointFiles>();
  for (const entry of parts.values()) {
    const objects: ObjectInfo[] = [];
    for (let part = 1; part <= entry.total; part++) {
      const object = entry.parts.get(part);
      if (object !== undefined) objects.push(object);
    }
    if (objects.length !== entry.total) continue; // "readers must ignore multi-part checkpoints with missing parts"
    const existing = checkpoints.get(entry.version);
    // Prefer the single-file checkpoint when a version has several complete ones.
    if (existing === undefined || objects.length < existing.keys.length) {
      checkpoints.set(entry.version, {
        version: entry.version,
        keys: objects.map((object) => object.key),
        etags: objects.map((object) => object.etag),
        lastModified: entry.lastModified,
      });
    }
  }
  for (const version of checkpoints.keys()) v2Checkpoints.delete(version);
  return { commits, checkpoints, v2Checkpoints };
}

/** The newest version the listing knows (commit or checkpoint), undefined for an empty log. */
export function newestVersion(listing: LogListing): number | undefined {
  let newest: number | undefined;
  for (const version of [
    ...listing.commits.keys(),
    ...listing.checkpoints.keys(),
    ...listing.v2Checkpoints,
  ]) {
    if (newest === undefined || version > newest) newest = version;
  }
  return newest;
}
