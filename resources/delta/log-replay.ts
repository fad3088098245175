/**
 * Action reconciliation (PROTOCOL.md "Action Reconciliation"): replay a checkpoint's rows and then
 * the commits after it, in version order. The newest protocol and metaData win, txn keeps the newest
 * version per appId, and file actions are keyed by (decoded path, deletion vector id): the newest
 * action per key decides whether the file is live (add) or a tombstone (remove).
 * Protocol and metaData are replayed at once; file and txn actions only when files, tombstones or
 * txns are first asked for, so a checkpoint's file actions may be decoded then (see openCheckpoint).
 */
import type {
  AddAction,
  CommitInfoAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  TxnAction,
} from "./actions.ts";
import { decodedFileKey, type LogAction } from "./log-actions.ts";
import { decodeLogPath } from "./partition-values.ts";

export class ReplayState {
  protocol: ProtocolAction | undefined;
  metadata: MetadataAction | undefined;
  /** The commitInfo of the last replayed commit (commitInfo is never carried by checkpoints). */
  commitInfo: CommitInfoAction | undefined;
  /** Keyed by decodedFileKey; each entry keeps its decoded path, so a path is decoded once. */
  private readonly files = new Map<string, Keyed<AddAction>>();
  private readonly removed = new Map<string, Keyed<RemoveAction>>();
  private readonly txnByApp = new Map<string, TxnAction>();
  /** File and txn actions not replayed yet, in log order (a function: a checkpoint's, decoded when called). */
  private readonly pending: (readonly LogAction[] | (() => readonly LogAction[]))[] = [];

  /** Apply one commit's (or checkpoint's) actions. */
  apply(actions: readonly LogAction[], fromCheckpoint = false): void {
    if (!fromCheckpoint) this.commitInfo = undefined;
    this.applyHeader(actions, fromCheckpoint);
    this.pending.push(actions);
  }

  /** A checkpoint given as its protocol and metaData, and its actions to decode when first needed. */
  applyCheckpoint(header: readonly LogAction[], actions: () => readonly LogAction[]): void {
    this.applyHeader(header, true);
    this.pending.push(actions);
  }

  private applyHeader(actions: readonly LogAction[], fromCheckpoint: boolean): void {
    for (const action of actions) {
      if (action.kind === "protocol") this.protocol = action.protocol;
      else if (action.kind === "metaData") this.metadata = action.metaData;
      else if (action.kind === "commitInfo" && !fromCheckpoint) this.commitInfo = action.commitInfo;
    }
  }

  private settle(): void {
    for (const batch of this.pending) this.applyFiles(typeof batch === "function" ? batch() : batch);
    this.pending.length = 0;
  }

  private applyFiles(actions: readonly LogAction[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case "add": {
          const entry = keyed(action.add);
          this.files.set(entry.key, entry);
          this.removed.delete(entry.key);
          break;
        }
        case "remove": {
          const entry = keyed(action.remove);
          this.files.delete(entry.key);
          this.removed.set(entry.key, entry);
          break;
        }
        case "txn":
          this.txnByApp.set(action.txn.appId, action.txn);
          break;
      }
    }
  }

  /** Live files, ordered by decoded path so every load of a version lists them identically. */
  liveFiles(): AddAction[] {
    this.settle();
    return sortByPath(this.files.values());
  }

  tombstones(): RemoveAction[] {
    this.settle();
    return sortByPath(this.removed.values());
  }

  txns(): ReadonlyMap<string, TxnAction> {
    this.settle();
    return new Map(this.txnByApp);
  }
}

interface Keyed<T> {
  readonly action: T;
  /** The decoded path. */
  readonly path: string;
  /** decodedFileKey(path, deletionVector): the identity of the logical file. */
  readonly key: string;
}

function keyed<T extends AddAction | RemoveAction>(action: T): Keyed<T> {
  const path = decodeLogPath(action.path);
  return { action, path, key: decodedFileKey(path, action.deletionVector) };
}

function sortByPath<T>(entries: Iterable<Keyed<T>>): T[] {
  return [...entries]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((entry) => entry.action);
}
