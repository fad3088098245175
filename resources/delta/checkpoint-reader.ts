/**
 * Reading classic checkpoints (single file or all parts of a multi-part one). Each row is turned
 * into JSON by DuckDB and validated by the same guards as commit lines, so writers' differing
 * checkpoint layouts (Spark `key_value` maps, delta-rs 0.17 `entries` maps, missing optional
 * columns, `stats_parsed` instead of `stats`, an obsolete `commitInfo` column) read alike.
 */
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import { localFiles, sqlString, withDuckDb } from "./duckdb-parquet.ts";
import { type LogAction, parseAction } from "./log-actions.ts";
import type { CheckpointFiles } from "./log-listing.ts";

export async function readCheckpoint(store: ObjectStore, checkpoint: CheckpointFiles): Promise<LogAction[]> {
  const files = await localFiles(store, checkpoint.keys);
  const source = checkpoint.keys[0] ?? `checkpoint ${checkpoint.version}`;
  try {
    const list = `[${files.paths.map(sqlString).join(", ")}]`;
    let rows: Record<string, unknown>[];
    try {
      const reader = await withDuckDb((connection) =>
        connection.runAndReadAll(
          `SELECT to_json(t)::VARCHAR AS j FROM read_parquet(${list}, union_by_name = true) AS t`,
        ),
      );
      rows = reader.getRowObjectsJS();
    } catch (error) {
      throw new StrataError(
        "STRATA_ERR_DELTA_CORRUPT_LOG",
        `checkpoint ${quote(source)} is not a readable Parquet file: ${error instanceof Error ? error.message : String(error)}.`,
        { source },
        { cause: error },
      );
    }
    const actions: LogAction[] = [];
    for (const row of rows) {
      const json = row.j;
      if (typeof json !== "string") continue;
      const action = parseAction(JSON.parse(json), source);
      if (action !== undefined && action.kind !== "commitInfo") actions.push(action);
    }
    return actions;
  } finally {
    await files.release();
  }
}
