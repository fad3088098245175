/**
 * Runs one data test: its query returns the failing rows, so the test passes when there are none.
 * A few failing rows are kept as a sample for the check result, the rest only counted.
 */
import type { Warehouse, WarehouseRow } from "../../../resources/warehouse/warehouse.ts";
import type { Severity, SqlTest } from "./types.ts";

export interface TestRunResult {
  readonly name: string;
  readonly model: string;
  readonly severity: Severity;
  readonly passed: boolean;
  readonly failingRows: number;
  /** Up to `sampleSize` failing rows, for the check's metadata. */
  readonly sample: readonly WarehouseRow[];
  readonly durationMs: number;
}

export interface RunTestOptions {
  readonly sampleSize?: number;
}

export async function runTest(
  warehouse: Warehouse,
  test: SqlTest,
  options: RunTestOptions = {},
): Promise<TestRunResult> {
  const started = performance.now();
  const sql = test.sql(warehouse.dialect).trim().replace(/;\s*$/, "");
  const [count] = await warehouse.query(`SELECT COUNT(*) AS failures FROM (\n${sql}\n) AS failing`);
  const failingRows = Number(count?.failures ?? 0);
  const sampleSize = options.sampleSize ?? 5;
  const sample =
    failingRows > 0 && sampleSize > 0
      ? await warehouse.query(`SELECT * FROM (\n${sql}\n) AS failing LIMIT ${Math.floor(sampleSize)}`)
      : [];
  return {
    name: test.name,
    model: test.model,
    severity: test.severity,
    passed: failingRows === 0,
    failingRows,
    sample,
    durationMs: performance.now() - started,
  };
}
