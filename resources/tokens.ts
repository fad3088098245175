import { token } from "../engine/index.ts";
import type { StrataConfig } from "./config/config.ts";
import type { DeltaTables } from "./delta/delta-tables.ts";
import type { LakeFileCache } from "./object-store/lake-file-cache.ts";
import type { ObjectStore } from "./object-store/object-store.ts";
import type { Warehouse } from "./warehouse/warehouse.ts";

/** Resource tokens the pipeline's assets, sensors and commands inject. */
export const CONFIG = token<StrataConfig>("Config");
/** The lake: landing zone, Bronze objects, manifests and Delta tables. */
export const LAKE = token<ObjectStore>("Lake");
export const DELTA_TABLES = token<DeltaTables>("DeltaTables");
/** Local copies of lake objects for file-only readers (DuckDB); the lake's own paths when local. */
export const LAKE_FILES = token<LakeFileCache>("LakeFiles");
export const WAREHOUSE = token<Warehouse>("Warehouse");
