/**
 * The Gold layer's SQL project: the models and data tests under the repository's `sql/` folder.
 * The engine wiring turns each model into the asset `gold/<model>` and each test into a check.
 */
import { fileURLToPath } from "node:url";
import { loadSqlProject, type SqlProject } from "./sql-project/index.ts";

export const GOLD_SQL_DIR = fileURLToPath(new URL("../../sql", import.meta.url));

export function loadGoldProject(dir: string = GOLD_SQL_DIR): Promise<SqlProject> {
  return loadSqlProject(dir);
}
