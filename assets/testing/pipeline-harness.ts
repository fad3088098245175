import { mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openWorkspace, type Workspace } from "../../engine/cli/workspace.ts";
import type { RunResult } from "../../engine/index.ts";
import { DELTA_TABLES, LAKE, WAREHOUSE } from "../../resources/tokens.ts";
import type { WarehouseRow } from "../../resources/warehouse/warehouse.ts";
import { LANDING_PREFIX } from "../bronze/sales-csv.ts";
import { definitions } from "../definitions.ts";
import { dayOf } from "../shared/partitions.ts";

/** The real pipeline in a temporary STRATA_HOME: embedded lake, Delta tables, DuckDB and SQLite. */
export class PipelineHarness {
  private constructor(
    readonly dir: string,
    readonly workspace: Workspace,
  ) {}

  static async open(): Promise<PipelineHarness> {
    const dir = mkdtempSync(join(tmpdir(), "strata-pipeline-"));
    const workspace = await openWorkspace({ definitions }, { stateDir: join(dir, ".strata") });
    return new PipelineHarness(dir, workspace);
  }

  get lake() {
    return this.workspace.definitions.scope.resolve(LAKE);
  }

  get tables() {
    return this.workspace.definitions.scope.resolve(DELTA_TABLES);
  }

  /** Drop a file into the landing zone as if it landed at `at` (its day is the Bronze partition). */
  async land(name: string, bytes: Uint8Array, at: number): Promise<string> {
    const key = `${LANDING_PREFIX}${name}`;
    await this.lake.put(key, bytes);
    const path = this.lake.localPath(key);
    if (path !== undefined) utimesSync(path, new Date(at), new Date(at));
    return dayOf(at);
  }

  run(selection: string, partition?: string): Promise<RunResult> {
    return this.workspace.materializer.materialize({
      selection,
      ...(partition !== undefined && { partition }),
    });
  }

  query(sql: string): Promise<WarehouseRow[]> {
    return this.workspace.definitions.scope.resolve(WAREHOUSE).query(sql);
  }

  async scalar(sql: string): Promise<number> {
    const [row] = await this.query(sql);
    const value = row === undefined ? undefined : Object.values(row)[0];
    if (typeof value !== "number") throw new Error(`${sql} returned ${JSON.stringify(row)}`);
    return value;
  }

  async close(): Promise<void> {
    await this.workspace.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
