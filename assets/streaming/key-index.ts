import pl from "nodejs-polars";
import type { DeltaTable } from "../../resources/delta/delta-table.ts";
import { hashKeyRows } from "../../resources/delta/key-hashes.ts";
import {
  type KeyIndexTable,
  type LoadedKeys,
  loadKeys,
  sourceKeysOf,
} from "../../resources/delta/key-index.ts";
import type { DeltaSnapshot } from "../../resources/delta/snapshot.ts";
import type { ObjectStore } from "../../resources/object-store/object-store.ts";
import { SILVER_SALES_KEYS } from "../silver/merge-rule.ts";

const KEY_COLUMNS = SILVER_SALES_KEYS;

/**
 * The (order_id, product_id) keys Silver holds, kept by the streaming ingestor so that a micro-batch
 * of new keys (the usual case for point-of-sale events) is a blind Delta append instead of a merge.
 *
 * It is a view of the Delta key index (resources/delta/key-index.ts), which merges use too: the key
 * hashes of each live data file of the snapshot passed to `refresh`, read once per file (new
 * appends, merge rewrites, other writers' commits) and shared with merges on the same store. Keys
 * this process committed since (`addFrame`) are kept apart until a refreshed snapshot's files show
 * them. A stale extra key only sends a row to the merge path, which is always correct; a missing
 * key would let a row be appended twice, which is why the index refreshes against the snapshot
 * right before each batch, and why a file the index cannot read makes every key "existing".
 */
export class SilverKeyIndex {
  private loaded: LoadedKeys | undefined;
  private layout: KeyIndexTable | undefined;
  /** A committed frame's keys could not be hashed like the table's: every key counts as existing. */
  private unsure = false;
  /** Hashes of keys this process committed that no refreshed snapshot has shown yet. */
  private readonly recent = new Set<number>();
  private version = -1;

  constructor(private readonly store: ObjectStore) {}

  static key(orderId: unknown, productId: unknown): string {
    return `${String(orderId)}\u0000${String(productId)}`;
  }

  has(orderId: unknown, productId: unknown): boolean {
    return this.flags(hashKeyRows([[orderId, productId]]))[0] ?? true;
  }

  /** Catch up with `snapshot` (default: load the latest; a caller that has one passes it). */
  async refresh(table: DeltaTable, given?: DeltaSnapshot): Promise<void> {
    if (given === undefined && !(await table.exists())) return;
    const snapshot = given ?? (await table.snapshot());
    if (snapshot.version === this.version) return;
    const layout = {
      store: this.store,
      root: table.root,
      schema: snapshot.schema,
      partitionColumns: snapshot.partitionColumns,
    };
    const loaded = await loadKeys(layout, snapshot.files, KEY_COLUMNS);
    // Only a snapshot at least as new as every earlier one can vouch for a key committed before it.
    if (snapshot.version > this.version) {
      for (const hash of this.recent) if (loaded.indexedHolds(hash)) this.recent.delete(hash);
      this.version = snapshot.version;
    }
    this.loaded = loaded;
    this.layout = layout;
  }

  /** Record the keys of rows just committed. */
  addFrame(frame: pl.DataFrame): void {
    const keys = this.hashes(frame);
    if (keys === undefined) this.unsure = true;
    else for (const hash of keys) this.recent.add(hash);
  }

  /** Mask: true for rows whose key Silver may already hold (they must be merged). */
  existing(frame: pl.DataFrame): pl.Series {
    const keys = this.hashes(frame);
    const flags = keys === undefined ? new Array<boolean>(frame.height).fill(true) : this.flags(keys);
    return pl.Series("existing", flags, pl.Bool);
  }

  /** The key hashes of a frame's rows; undefined before a refresh or when its key types differ from the table's. */
  private hashes(frame: pl.DataFrame): Float64Array | undefined {
    if (this.layout === undefined) return undefined;
    const keys = sourceKeysOf(this.layout, frame, KEY_COLUMNS);
    return keys !== undefined && keys.columns.length === KEY_COLUMNS.length ? keys.hashes : undefined;
  }

  private flags(hashes: Float64Array): boolean[] {
    if (this.unsure) return new Array<boolean>(hashes.length).fill(true);
    const inTable = this.loaded?.mayHold(hashes) ?? new Array<boolean>(hashes.length).fill(false);
    return inTable.map((held, i) => held || this.recent.has(hashes[i] ?? Number.NaN));
  }
}
