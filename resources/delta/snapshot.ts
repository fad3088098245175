/**
 * A Delta table's state at one version (PROTOCOL.md "Checkpoints", "Action Reconciliation"): the
 * newest complete checkpoint at or below the version plus the contiguous commits after it, replayed
 * into protocol, metadata, live files, tombstones and app transactions. Works only through the
 * ObjectStore port, so the same code reads a local folder and S3.
 */
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import type { AddAction, MetadataAction, ProtocolAction, RemoveAction, TxnAction } from "./actions.ts";
import { openCheckpoint } from "./checkpoint-reader.ts";
import { commitTimestamp, versionAtTimestamp } from "./history.ts";
import { parseCommitFile } from "./log-actions.ts";
import {
  type LogListing,
  listLog,
  logPrefix,
  newestVersion,
  probeLog,
  readLastCheckpointHint,
} from "./log-listing.ts";
import { ReplayState } from "./log-replay.ts";
import { checkReadable } from "./protocol-check.ts";
import { type DeltaSchema, parseSchema } from "./schema.ts";

export interface DeltaSnapshot {
  /** The table's key prefix in the store ("" when the store root is the table). */
  readonly tableRoot: string;
  readonly version: number;
  /** The checkpoint the replay started from; undefined when it replayed commits from version 0. */
  readonly checkpointVersion: number | undefined;
  readonly protocol: ProtocolAction;
  readonly metadata: MetadataAction;
  readonly schema: DeltaSchema;
  readonly partitionColumns: string[];
  /**
   * Live data files, ordered by decoded path. Replayed (and the checkpoint's file actions decoded)
   * on first access, which throws when a file has a deletion vector or the checkpoint went away.
   */
  readonly files: AddAction[];
  /** Removed files still recorded in the log (all of them; retention is the vacuum's business). On first access, as files. */
  readonly tombstones: RemoveAction[];
  /** The newest txn per appId. On first access, as files. */
  readonly txns: ReadonlyMap<string, TxnAction>;
  txnVersion(appId: string): number | undefined;
  /** metaData.configuration (table properties such as delta.appendOnly). */
  readonly properties: Record<string, string>;
  /** Milliseconds since the epoch of this version's commit (see history.ts for which clock). */
  readonly timestamp: number;
}

export interface SnapshotOptions {
  /** Load this version instead of the latest. */
  readonly version?: number;
  /** Load the newest version committed at or before this instant (ms since the epoch, a Date or ISO-8601). */
  readonly timestamp?: number | Date | string;
}

export function normaliseRoot(tableRoot: string): string {
  return tableRoot.replace(/^\/+/, "").replace(/\/+$/, "");
}

function tableName(store: ObjectStore, root: string): string {
  return root === "" ? store.url : `${store.url.replace(/\/+$/, "")}/${root}`;
}

/**
 * From this checkpoint version on, a local log is probed rather than listed. Reading a directory
 * costs ~1.3 µs per entry (~1.4 ms at 1,100 entries); probing costs ~0.4 ms with no commit after
 * the checkpoint and ~1.5 ms with nine (each is a stat and a sidecar read, for its commit and a
 * possible newer checkpoint). So probing pays from about a thousand entries and wins outright on
 * the long logs of streaming tables; below that, listing is cheaper.
 */
const PROBE_FROM_VERSION = 1_000;

/**
 * The listing to replay `version` (latest when undefined) from. `_last_checkpoint` only lets us
 * skip listing older files (or, in a local folder, probe for the newer ones); when it is missing,
 * corrupt, points at a checkpoint that is not there, or the wanted version is older than it, the
 * whole log is listed.
 */
async function listingFor(
  store: ObjectStore,
  root: string,
  version: number | undefined,
): Promise<LogListing> {
  const hint = await readLastCheckpointHint(store, root);
  if (hint !== undefined && (version === undefined || version >= hint.version)) {
    const localFolder = store.localPath(logPrefix(root)) !== undefined;
    const probed =
      localFolder && hint.version >= PROBE_FROM_VERSION ? await probeLog(store, root, hint) : undefined;
    if (probed !== undefined) return probed;
    const listing = await listLog(store, root, hint.version);
    if (listing.checkpoints.has(hint.version)) return listing;
  }
  return listLog(store, root);
}

/** The newest version of the table (the newest commit or checkpoint in its log). */
export async function latestVersion(store: ObjectStore, tableRoot: string): Promise<number> {
  const root = normaliseRoot(tableRoot);
  const newest = newestVersion(await listingFor(store, root, undefined));
  if (newest === undefined) throw notATable(store, root);
  return newest;
}

function notATable(store: ObjectStore, root: string): StrataError {
  return new StrataError(
    "STRATA_ERR_DELTA_NOT_A_TABLE",
    `no Delta log found at ${quote(tableName(store, root))} (no commit or checkpoint under _delta_log/).`,
    { table: tableName(store, root) },
  );
}

function checkVersionOption(version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new StrataError(
      "STRATA_ERR_INVALID_OPTION",
      `Delta version ${quote(version)} is not a non-negative integer.`,
      { version },
    );
  }
}

export async function loadSnapshot(
  store: ObjectStore,
  tableRoot: string,
  options: SnapshotOptions = {},
): Promise<DeltaSnapshot> {
  const root = normaliseRoot(tableRoot);
  if (options.version !== undefined && options.timestamp !== undefined) {
    throw new StrataError(
      "STRATA_ERR_INVALID_OPTION",
      `pass either a version (${quote(options.version)}) or a timestamp, not both.`,
      {},
    );
  }
  let version = options.version;
  let listing: LogListing;
  if (options.timestamp !== undefined) {
    listing = await listLog(store, root);
    if (newestVersion(listing) === undefined) throw notATable(store, root);
    version = await versionAtTimestamp(store, root, listing, options.timestamp);
  } else {
    if (version !== undefined) checkVersionOption(version);
    listing = await listingFor(store, root, version);
  }
  const newest = newestVersion(listing);
  if (newest === undefined) throw notATable(store, root);
  const target = version ?? newest;
  if (target > newest) {
    throw new StrataError(
      "STRATA_ERR_DELTA_VERSION_NOT_FOUND",
      `table ${quote(tableName(store, root))} has no version ${quote(target)}; the latest version is ${newest}.`,
      { version: target, latest: newest },
    );
  }
  return replay(store, root, listing, target);
}

/** Which checkpoint and commits reconstruct `target`, checking the commits are contiguous. */
function segmentFor(
  store: ObjectStore,
  root: string,
  listing: LogListing,
  target: number,
): { checkpoint: number | undefined; commits: number[] } {
  let checkpoint: number | undefined;
  for (const version of listing.checkpoints.keys()) {
    if (version <= target && (checkpoint === undefined || version > checkpoint)) checkpoint = version;
  }
  const first = checkpoint === undefined ? 0 : checkpoint + 1;
  const missing: number[] = [];
  const commits: number[] = [];
  for (let version = first; version <= target; version++) {
    if (listing.commits.has(version)) commits.push(version);
    else missing.push(version);
  }
  if (missing.length === 0) return { checkpoint, commits };
  const table = tableName(store, root);
  const v2 = [...listing.v2Checkpoints].filter((v) => v <= target);
  if (checkpoint === undefined && v2.length > 0) {
    throw new StrataError(
      "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
      `table ${quote(table)} can only be reconstructed from a V2 checkpoint (reader feature ${quote("v2Checkpoint")}), which Strata does not implement.`,
      { table, feature: "v2Checkpoint" },
    );
  }
  // Commits missing at the start were cleaned up (the version is older than the log's history);
  // a gap after a commit that exists means the log itself is broken.
  const present = [...listing.commits.keys()].filter((v) => v >= first && v <= target);
  const firstPresent = present.length === 0 ? undefined : Math.min(...present);
  const gaps = missing.filter((v) => firstPresent !== undefined && v > firstPresent);
  if (gaps.length > 0 || (checkpoint !== undefined && missing.length > 0)) {
    throw new StrataError(
      "STRATA_ERR_DELTA_CORRUPT_LOG",
      `table ${quote(table)}: Delta log versions are not contiguous, commit file(s) ${quote(missing)} missing before version ${target}.`,
      { table, missing },
    );
  }
  throw new StrataError(
    "STRATA_ERR_DELTA_VERSION_NOT_FOUND",
    `table ${quote(table)} cannot be reconstructed at version ${quote(target)}: its earlier log files were cleaned up (no checkpoint at or before it, commit(s) ${quote(missing)} missing).`,
    { table, version: target, missing },
  );
}

async function replay(
  store: ObjectStore,
  root: string,
  listing: LogListing,
  target: number,
): Promise<DeltaSnapshot> {
  const table = tableName(store, root);
  const segment = segmentFor(store, root, listing, target);
  const state = new ReplayState();
  if (segment.checkpoint !== undefined) {
    const files = listing.checkpoints.get(segment.checkpoint);
    if (files !== undefined) {
      const opened = await openCheckpoint(store, files);
      state.applyCheckpoint(opened.header, () => opened.actions());
    }
  }
  for (const version of segment.commits) {
    const info = listing.commits.get(version);
    if (info === undefined) continue;
    state.apply(parseCommitFile(await store.get(info.key), info.key));
  }
  const { protocol, metadata } = state;
  if (protocol === undefined || metadata === undefined) {
    const missing = protocol === undefined ? "protocol" : "metaData";
    throw new StrataError(
      "STRATA_ERR_DELTA_CORRUPT_LOG",
      `table ${quote(table)} at version ${target}: no ${missing} action found in the log.`,
      { table, version: target, missing },
    );
  }
  const schema = parseSchema(metadata.schemaString);
  checkReadable(table, protocol, metadata, schema);
  // Live files, tombstones and txns are replayed on first use (an append needs none of them).
  let files: AddAction[] | undefined;
  const liveFiles = (): AddAction[] => {
    if (files !== undefined) return files;
    const live = state.liveFiles();
    const withDv = live.find((file) => file.deletionVector);
    if (withDv) {
      throw new StrataError(
        "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
        `table ${quote(table)} uses the Delta reader feature ${quote("deletionVectors")} (file ${quote(withDv.path)} has one), which Strata does not implement.`,
        { table, feature: "deletionVectors" },
      );
    }
    files = live;
    return files;
  };
  let tombstones: RemoveAction[] | undefined;
  let txns: ReadonlyMap<string, TxnAction> | undefined;
  const txnMap = (): ReadonlyMap<string, TxnAction> => {
    txns ??= state.txns();
    return txns;
  };
  const commit = listing.commits.get(target);
  const timestamp = commitTimestamp(
    commit?.lastModified ?? listing.checkpoints.get(target)?.lastModified ?? 0,
    state.commitInfo,
  );
  return {
    tableRoot: root,
    version: target,
    checkpointVersion: segment.checkpoint,
    protocol,
    metadata,
    schema,
    partitionColumns: [...metadata.partitionColumns],
    get files() {
      return liveFiles();
    },
    get tombstones() {
      tombstones ??= state.tombstones();
      return tombstones;
    },
    get txns() {
      return txnMap();
    },
    txnVersion: (appId: string) => txnMap().get(appId)?.version,
    properties: { ...metadata.configuration },
    timestamp,
  };
}
