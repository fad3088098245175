/**
 * Table history and timestamp time travel (PROTOCOL.md "In-Commit Timestamps", delta.md §1.10).
 *
 * Which clock: per the protocol a commit's timestamp is the modification time of its
 * `<version>.json`, unless In-Commit Timestamps are enabled, in which case it is
 * `commitInfo.inCommitTimestamp` (written only from the enablement version on, so a commitInfo that
 * carries it is the signal). `commitInfo.timestamp` is NOT used: Spark and delta-rs ignore it too,
 * and it is the writer's wall clock, not the storage's. As Spark does, file times are made strictly
 * increasing before searching, because copied or clock-skewed files can go backwards.
 *
 * A timestamp before the first commit is refused (STRATA_ERR_DELTA_VERSION_NOT_FOUND), as Spark
 * does, rather than clamped to the first version as delta-rs does: the table did not exist then,
 * and silently returning later data would be a wrong answer. A timestamp after the newest commit
 * returns the newest version (the table's state at that instant).
 */
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import type { CommitInfoAction } from "./actions.ts";
import { isRecord, parseCommitFile } from "./log-actions.ts";
import { type LogListing, listLog } from "./log-listing.ts";

export interface CommitEntry {
  readonly version: number;
  /** Commit timestamp in ms (in-commit timestamp or file time, monotonised). */
  readonly timestamp: number;
  /** commitInfo.operation, e.g. "WRITE", "MERGE"; undefined when the commit has no commitInfo. */
  readonly operation: string | undefined;
  readonly operationParameters: Readonly<Record<string, unknown>>;
  /** commitInfo.timestamp: the writer's wall clock, shown for provenance, never used for time travel. */
  readonly commitInfoTimestamp: number | undefined;
  readonly commitInfo: CommitInfoAction | undefined;
}

/** The timestamp of one commit given its file time and its commitInfo. */
export function commitTimestamp(fileTime: number, commitInfo: CommitInfoAction | undefined): number {
  const ict = commitInfo?.inCommitTimestamp;
  return typeof ict === "number" ? ict : fileTime;
}

function monotonise(times: readonly number[]): number[] {
  const out: number[] = [];
  for (const time of times) {
    const previous = out[out.length - 1];
    out.push(previous !== undefined && time <= previous ? previous + 1 : time);
  }
  return out;
}

async function commitInfoOf(store: ObjectStore, key: string): Promise<CommitInfoAction | undefined> {
  for (const action of parseCommitFile(await store.get(key), key)) {
    if (action.kind === "commitInfo") return action.commitInfo;
  }
  return undefined;
}

/** Commit versions whose state can be rebuilt: from the newest gap-free run's start, ascending. */
function reconstructableCommits(listing: LogListing): number[] {
  const versions = [...listing.commits.keys()].sort((a, b) => a - b);
  const earliestCheckpoint = Math.min(...listing.checkpoints.keys());
  return versions.filter((version) => listing.commits.has(0) || version >= earliestCheckpoint);
}

/** The newest version committed at or before `at` (see the module comment for the rules). */
export async function versionAtTimestamp(
  store: ObjectStore,
  root: string,
  listing: LogListing,
  at: number | Date | string,
): Promise<number> {
  const instant = at instanceof Date ? at.getTime() : typeof at === "string" ? Date.parse(at) : at;
  if (!Number.isFinite(instant)) {
    throw new StrataError(
      "STRATA_ERR_INVALID_OPTION",
      `timestamp ${quote(String(at))} is not a valid date.`,
      {},
    );
  }
  const versions = reconstructableCommits(listing);
  const newest = versions[versions.length - 1];
  if (newest === undefined) {
    throw new StrataError(
      "STRATA_ERR_DELTA_VERSION_NOT_FOUND",
      `table ${quote(root)} has no commits to time-travel over.`,
      {
        root,
      },
    );
  }
  // Reading every commitInfo is only worth it when the newest commit shows in-commit timestamps.
  const newestInfo = listing.commits.get(newest);
  const ict =
    newestInfo !== undefined &&
    typeof (await commitInfoOf(store, newestInfo.key))?.inCommitTimestamp === "number";
  const raw: number[] = [];
  for (const version of versions) {
    const info = listing.commits.get(version);
    if (info === undefined) continue;
    raw.push(
      ict ? commitTimestamp(info.lastModified, await commitInfoOf(store, info.key)) : info.lastModified,
    );
  }
  const times = monotonise(raw);
  let found: number | undefined;
  for (const [index, version] of versions.entries()) {
    const time = times[index];
    if (time !== undefined && time <= instant) found = version;
  }
  if (found === undefined) {
    const first = times[0] ?? 0;
    throw new StrataError(
      "STRATA_ERR_DELTA_VERSION_NOT_FOUND",
      `timestamp ${quote(new Date(instant).toISOString())} is before the earliest available commit of ${quote(root)} (version ${versions[0]} at ${new Date(first).toISOString()}).`,
      { root, timestamp: instant, earliest: first },
    );
  }
  return found;
}

/** The table's commits, newest first (like DESCRIBE HISTORY); `limit` keeps only the newest n. */
export async function readHistory(
  store: ObjectStore,
  tableRoot: string,
  options: { readonly limit?: number } = {},
): Promise<CommitEntry[]> {
  const root = tableRoot.replace(/^\/+/, "").replace(/\/+$/, "");
  const listing = await listLog(store, root);
  const versions = [...listing.commits.keys()].sort((a, b) => a - b);
  const entries: { version: number; fileTime: number; info: CommitInfoAction | undefined }[] = [];
  for (const version of versions) {
    const object = listing.commits.get(version);
    if (object === undefined) continue;
    entries.push({ version, fileTime: object.lastModified, info: await commitInfoOf(store, object.key) });
  }
  const times = monotonise(entries.map((entry) => commitTimestamp(entry.fileTime, entry.info)));
  const history = entries.map((entry, index) => ({
    version: entry.version,
    timestamp: times[index] ?? entry.fileTime,
    operation: typeof entry.info?.operation === "string" ? entry.info.operation : undefined,
    operationParameters: isRecord(entry.info?.operationParameters) ? entry.info.operationParameters : {},
    commitInfoTimestamp: typeof entry.info?.timestamp === "number" ? entry.info.timestamp : undefined,
    commitInfo: entry.info,
  }));
  history.reverse();
  return options.limit === undefined ? history : history.slice(0, options.limit);
}
