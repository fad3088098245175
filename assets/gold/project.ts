/**
 * The Gold layer's SQL project: the models and data tests under the repository's `sql/` folder, plus
 * the small pieces of glue the engine wiring needs (asset keys, upstream keys, metadata), kept here so
 * the wiring stays a thin loop: one asset `gold/<model>` per model, one check per test on `gold/<test.model>`.
 */
import { fileURLToPath } from "node:url";
import {
  loadSqlProject,
  type ModelRunResult,
  type SourceName,
  type SqlModel,
  type SqlProject,
  type TestRunResult,
} from "./sql-project/index.ts";

export const GOLD_SQL_DIR = fileURLToPath(new URL("../../sql", import.meta.url));

export function loadGoldProject(dir: string = GOLD_SQL_DIR): Promise<SqlProject> {
  return loadSqlProject(dir);
}

/** `gold/<model>`: every SQL model is one asset of the gold layer. */
export function goldAssetKey(modelName: string): `gold/${string}` {
  return `gold/${modelName}`;
}

/** `<source>/<table>`, e.g. source('silver', 'sales') is produced by the asset `silver/sales`. */
export function sourceAssetKey(source: SourceName): `${string}/${string}` {
  return `${source.source}/${source.table}`;
}

/** The asset keys a model depends on: the gold models it refs and the sources it reads. */
export function upstreamAssetKeys(model: SqlModel): string[] {
  return [...model.refs.map(goldAssetKey), ...model.sources.map(sourceAssetKey)];
}

/** Materialisation metadata (plain numbers and strings, as the engine's metadata input takes them). */
export function modelRunMetadata(result: ModelRunResult): Record<string, number | string> {
  const metadata: Record<string, number | string> = {
    relation: `${result.relation.schema}.${result.relation.name}`,
    materialized: result.materialized,
    mode: result.mode,
    row_count: result.rows,
    rows_affected: result.rowsAffected,
    duration_ms: Math.round(result.durationMs),
  };
  if (result.versionsOpened !== undefined) metadata.versions_opened = result.versionsOpened;
  if (result.versionsClosed !== undefined) metadata.versions_closed = result.versionsClosed;
  return metadata;
}

/** Check-result metadata for a data test. */
export function testRunMetadata(result: TestRunResult): Record<string, number | string> {
  return {
    failing_rows: result.failingRows,
    severity: result.severity,
    sample: JSON.stringify(result.sample),
    duration_ms: Math.round(result.durationMs),
  };
}
