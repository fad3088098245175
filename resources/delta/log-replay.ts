/**
 * Action reconciliation (PROTOCOL.md "Action Reconciliation"): replay a checkpoint's rows and then
 * the commits after it, in version order. The newest protocol and metaData win, txn keeps the newest
 * version per appId, and file actions are keyed by (decoded path, deletion vector id): the newest
 * action per key decides whether the file is live (add) or a tombstone (remove).
 */
import type {
  AddAction,
  CommitInfoAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  TxnAction,
} from "./actions.ts";
import { decodeLogPath, fileKey, type LogAction } from "./log-actions.ts";

export class ReplayState {
  protocol: ProtocolAction | undefined;
  metadata: MetadataAction | undefined;
  /** The commitInfo of the last replayed commit (commitInfo is never carried by checkpoints). */
  commitInfo: CommitInfoAction | undefined;
  private readonly files = new Map<string, AddAction>();
  private readonly removed = new Map<string, RemoveAction>();
  private readonly txnByApp = new Map<string, TxnAction>();

  /** Apply one commit's (or checkpoint's) actions. */
  apply(actions: readonly LogAction[], fromCheckpoint = false): void {
    if (!fromCheckpoint) this.commitInfo = undefined;
    for (const action of actions) {
      switch (action.kind) {
        case "protocol":
          this.protocol = action.protocol;
          break;
        case "metaData":
          this.metadata = action.metaData;
          break;
        case "add": {
          const key = fileKey(action.add.path, action.add.deletionVector);
          this.files.set(key, action.add);
          this.removed.delete(key);
          break;
        }
        case "remove": {
          const key = fileKey(action.remove.path, action.remove.deletionVector);
          this.files.delete(key);
          this.removed.set(key, action.remove);
          break;
        }
        case "txn":
          this.txnByApp.set(action.txn.appId, action.txn);
          break;
        case "commitInfo":
          if (!fromCheckpoint) this.commitInfo = action.commitInfo;
          break;
      }
    }
  }

  /** Live files, ordered by decoded path so every load of a version lists them identically. */
  liveFiles(): AddAction[] {
    return sortByPath([...this.files.values()]);
  }

  tombstones(): RemoveAction[] {
    return sortByPath([...this.removed.values()]);
  }

  txns(): ReadonlyMap<string, TxnAction> {
    return new Map(this.txnByApp);
  }
}

function sortByPath<T extends { readonly path: string }>(actions: T[]): T[] {
  return actions
    .map((action) => ({ action, path: decodeLogPath(action.path) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((entry) => entry.action);
}
