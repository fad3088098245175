/**
 * Every resource binding of the pipeline, in one place: the engine's container wrapper does the
 * inversify calls, this file decides which implementation serves each token.
 */
import { join } from "node:path";
import { bind, FileSystemIOManager, IO_MANAGER, type ResourceBinding } from "../engine/index.ts";
import type { StrataConfig } from "./config/config.ts";
import { LakeDeltaTables } from "./delta/delta-tables.ts";
import { LakeFileCache } from "./object-store/lake-file-cache.ts";
import { openLake } from "./object-store/open-lake.ts";
import { CONFIG, DELTA_TABLES, LAKE, LAKE_FILES, WAREHOUSE } from "./tokens.ts";
import { DuckDbWarehouse } from "./warehouse/duckdb-warehouse.ts";

export interface OpenResources {
  readonly bindings: readonly ResourceBinding[];
  /** Release what the resources hold open (the warehouse connection, the S3 client). */
  close(): Promise<void>;
}

export async function openResources(config: StrataConfig): Promise<OpenResources> {
  const opened = openLake(config.lake);
  const lake = opened.store;
  const warehouse = await DuckDbWarehouse.open({
    path: config.warehouse.path,
    threads: config.warehouse.threads,
  });
  return {
    bindings: [
      bind.value(CONFIG, config),
      bind.value(LAKE, lake),
      bind.value(DELTA_TABLES, new LakeDeltaTables(lake)),
      bind.value(LAKE_FILES, new LakeFileCache(lake, join(config.stateDir, "cache", "lake"))),
      bind.value(WAREHOUSE, warehouse),
      bind.value(IO_MANAGER, new FileSystemIOManager(join(config.stateDir, "io"))),
    ],
    close: async () => {
      await warehouse.close();
      opened.close();
    },
  };
}
