/**
 * Optimistic concurrency for Delta commits. A commit is `_delta_log/<v>.json` created with
 * putIfAbsent, never overwritten. When another writer won version v, its actions are checked
 * against what this transaction read and changed: commutative changes (appends to files we did not
 * read) are rebased onto v+1 and retried; logical conflicts fail with a coded error so the caller
 * can re-run the operation on the new snapshot.
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import { type Action, type AddAction, versionFileName } from "./actions.ts";
import { decodeLogPath } from "./partition-values.ts";

function readEngineVersion(): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "version" in parsed &&
      typeof parsed.version === "string"
    ) {
      return parsed.version;
    }
  } catch {
    // a packaged build without package.json still commits; the engine string is informational
  }
  return "unknown";
}

export const ENGINE_INFO = `strata/${readEngineVersion()}`;

export interface PendingCommit {
  /** The snapshot version the transaction read; -1 when creating the table. */
  readonly readVersion: number;
  /** Every action except commitInfo (which is generated per attempt). */
  readonly actions: readonly Action[];
  readonly operation: string;
  readonly operationParameters?: Readonly<Record<string, unknown>>;
  readonly operationMetrics?: Readonly<Record<string, number>>;
  /** Decoded paths of files whose content this transaction depends on (read or rewritten). */
  readonly readFiles?: ReadonlySet<string>;
  /**
   * Whether a file added concurrently could hold rows this transaction should have seen (e.g. a
   * key a merge would otherwise insert twice). Omitted: concurrent adds never conflict.
   */
  readonly conflictsWithAdd?: (add: AddAction) => boolean;
}

export interface CommitOptions {
  /** How many winning versions to rebase over before giving up (delta-rs: 15). */
  readonly maxRetries?: number;
  /** First backoff delay; doubles per lost race, with jitter, capped at 1 s. */
  readonly backoffMs?: number;
}

export interface CommitResult {
  readonly version: number;
  /** Commits by other writers this one was rebased over. */
  readonly rebasedOver: number;
  readonly commitMs: number;
}

export function logKey(root: string, name: string): string {
  return root === "" ? `_delta_log/${name}` : `${root}/_delta_log/${name}`;
}

export function serialiseActions(actions: readonly Action[]): Uint8Array {
  return new TextEncoder().encode(`${actions.map((action) => JSON.stringify(action)).join("\n")}\n`);
}

/** Parse one commit file (newline-delimited actions); unknown action types are kept as-is and ignored. */
export function parseCommit(bytes: Uint8Array): Record<string, unknown>[] {
  return new TextDecoder()
    .decode(bytes)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const parsed: unknown = JSON.parse(line);
      return typeof parsed === "object" && parsed !== null ? Object.fromEntries(Object.entries(parsed)) : {};
    });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isAdd(value: unknown): value is AddAction {
  return isRecord(value) && typeof value.path === "string" && isRecord(value.partitionValues);
}

function conflict(pending: PendingCommit, winner: number, reason: string): StrataError {
  return new StrataError(
    "STRATA_ERR_DELTA_CONCURRENT_MODIFICATION",
    `${pending.operation} read version ${pending.readVersion}, but version ${winner} (committed by another writer) ${reason}.`,
    { readVersion: pending.readVersion, winningVersion: winner, operation: pending.operation },
  );
}

/** Throw when the winning commit's actions invalidate this transaction; return to rebase otherwise. */
function checkLogicalConflicts(
  pending: PendingCommit,
  winner: number,
  winning: Record<string, unknown>[],
): void {
  const ourRemoves = new Set<string>();
  const ourAppIds = new Set<string>();
  for (const action of pending.actions) {
    if ("remove" in action) ourRemoves.add(decodeLogPath(action.remove.path));
    if ("txn" in action) ourAppIds.add(action.txn.appId);
  }
  for (const action of winning) {
    if ("protocol" in action) throw conflict(pending, winner, "changed the table protocol");
    if ("metaData" in action)
      throw conflict(pending, winner, "changed the table metadata (schema, partitioning or properties)");
    const txn = action.txn;
    if (isRecord(txn) && typeof txn.appId === "string" && ourAppIds.has(txn.appId)) {
      throw conflict(pending, winner, `also committed a transaction for application id ${quote(txn.appId)}`);
    }
    const remove = action.remove;
    if (isRecord(remove) && typeof remove.path === "string") {
      const path = decodeLogPath(remove.path);
      if (ourRemoves.has(path) || pending.readFiles?.has(path)) {
        throw conflict(
          pending,
          winner,
          `removed the file ${quote(path)} that this transaction read or rewrote`,
        );
      }
    }
    const add = action.add;
    if (pending.conflictsWithAdd !== undefined && isAdd(add) && pending.conflictsWithAdd(add)) {
      throw conflict(
        pending,
        winner,
        `added the file ${quote(decodeLogPath(add.path))} that may hold rows this transaction depends on`,
      );
    }
  }
}

function commitInfo(pending: PendingCommit, readVersion: number): Action {
  const isBlindAppend =
    pending.readFiles === undefined &&
    pending.conflictsWithAdd === undefined &&
    pending.actions.every((action) => "add" in action || "txn" in action);
  return {
    commitInfo: {
      timestamp: Date.now(),
      operation: pending.operation,
      operationParameters: pending.operationParameters ?? {},
      operationMetrics: pending.operationMetrics ?? {},
      ...(readVersion >= 0 ? { readVersion } : {}),
      isolationLevel: "Serializable",
      isBlindAppend,
      engineInfo: ENGINE_INFO,
    },
  };
}

/**
 * Commit the transaction at the first free version after `readVersion`, rebasing over
 * non-conflicting winners. Creating a table (readVersion -1) never rebases: 0.json is taken means
 * the table already exists.
 */
export async function commitTransaction(
  store: ObjectStore,
  root: string,
  pending: PendingCommit,
  options: CommitOptions = {},
): Promise<CommitResult> {
  const started = performance.now();
  const maxRetries = options.maxRetries ?? 15;
  let delay = options.backoffMs ?? 5;
  let version = pending.readVersion + 1;
  for (let rebasedOver = 0; ; rebasedOver++) {
    const body = serialiseActions([commitInfo(pending, pending.readVersion), ...pending.actions]);
    // No content type: on a local store it would be a metadata sidecar file per commit, doubling
    // the objects in _delta_log/ that every snapshot load lists (no Delta reader looks at it).
    if (await store.putIfAbsent(logKey(root, versionFileName(version)), body)) {
      return { version, rebasedOver, commitMs: performance.now() - started };
    }
    if (pending.readVersion < 0) {
      throw new StrataError(
        "STRATA_ERR_DELTA_TABLE_EXISTS",
        `a Delta table already exists at ${quote(root)}.`,
        { root },
      );
    }
    const winning = await store.get(logKey(root, versionFileName(version)));
    checkLogicalConflicts(pending, version, parseCommit(winning));
    if (rebasedOver >= maxRetries) {
      throw conflict(
        pending,
        version,
        `was one of ${rebasedOver + 1} concurrent commits; gave up after ${maxRetries} retries`,
      );
    }
    version++;
    // Back off so a crowd of writers does not retry in lock-step; the jitter breaks ties.
    await sleep(Math.random() * delay);
    delay = Math.min(delay * 2, 1000);
  }
}
