import type { ObjectStore } from "../object-store/object-store.ts";
import { DeltaTable } from "./delta-table.ts";

/** The DeltaTables resource: Delta tables by their path in the lake (e.g. `silver/sales`). */
export interface DeltaTables {
  readonly store: ObjectStore;
  table(path: string): DeltaTable;
}

export class LakeDeltaTables implements DeltaTables {
  constructor(readonly store: ObjectStore) {}

  table(path: string): DeltaTable {
    return DeltaTable.forPath(this.store, path);
  }
}
