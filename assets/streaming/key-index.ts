import pl from "nodejs-polars";
import type { DeltaTable } from "../../resources/delta/delta-table.ts";
import { decodeLogPath } from "../../resources/delta/partition-values.ts";
import type { DeltaSnapshot } from "../../resources/delta/snapshot.ts";
import type { ObjectStore } from "../../resources/object-store/object-store.ts";

/**
 * The (order_id, product_id) keys Silver holds, kept by the streaming ingestor so that a micro-batch
 * of new keys (the usual case for point-of-sale events) is a blind Delta append instead of a merge:
 * a merge reads every data file whose key bounds overlap the batch, and random order ids overlap
 * them all, so its cost grows with the table (measured 0.4 s → 7 s over 60 small batches), while an
 * append costs the same every time.
 *
 * `refresh` reads only the key columns of data files it has not seen (new appends, merge rewrites,
 * other writers' commits). A stale extra key (a deleted row) only sends a row to the merge path,
 * which is always correct; a missing key would let a row be appended twice, which is why the index
 * refreshes against the snapshot right before each batch.
 */
export class SilverKeyIndex {
  private readonly keys = new Set<string>();
  private readonly seenFiles = new Set<string>();
  private version = -1;

  constructor(private readonly store: ObjectStore) {}

  static key(orderId: unknown, productId: unknown): string {
    return `${String(orderId)}\u0000${String(productId)}`;
  }

  has(orderId: unknown, productId: unknown): boolean {
    return this.keys.has(SilverKeyIndex.key(orderId, productId));
  }

  /** Catch up with `snapshot` (default: load the latest; a caller that has one passes it). */
  async refresh(table: DeltaTable, given?: DeltaSnapshot): Promise<void> {
    if (given === undefined && !(await table.exists())) return;
    const snapshot = given ?? (await table.snapshot());
    if (snapshot.version === this.version) return;
    const fresh = snapshot.files.map((f) => decodeLogPath(f.path)).filter((p) => !this.seenFiles.has(p));
    for (const path of fresh) {
      const bytes = await this.store.get(`${table.root}/${path}`);
      const frame = pl.readParquet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
        columns: ["order_id", "product_id"],
      });
      this.addFrame(frame);
      this.seenFiles.add(path);
    }
    this.version = snapshot.version;
  }

  /** Record the keys of rows just committed. */
  addFrame(frame: pl.DataFrame): void {
    const orders: unknown[] = frame.getColumn("order_id").toArray();
    const products: unknown[] = frame.getColumn("product_id").toArray();
    orders.forEach((order, i) => {
      this.keys.add(SilverKeyIndex.key(order, products[i]));
    });
  }

  /** Mask: true for rows whose key Silver already holds (they must be merged). */
  existing(frame: pl.DataFrame): pl.Series {
    const orders: unknown[] = frame.getColumn("order_id").toArray();
    const products: unknown[] = frame.getColumn("product_id").toArray();
    return pl.Series(
      "existing",
      orders.map((order, i) => this.has(order, products[i])),
      pl.Bool,
    );
  }
}
