/**
 * Runs data tests: a test's query returns the failing rows, so the test passes when there are none.
 * A few failing rows are kept as a sample for the check result, the rest only counted.
 *
 * `runTests` counts the failing rows of several tests in one statement (one COUNT per test, joined by
 * UNION ALL): each test still runs its own query in full, but the warehouse plans and schedules them
 * together instead of paying a round trip per test. If that statement fails, every test runs on its own,
 * so a broken test reports its own error and never hides the results of the others.
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
  /** Time to a result: for a test run in a batch, the batch's time plus its own sample query's. */
  readonly durationMs: number;
}

export interface RunTestOptions {
  readonly sampleSize?: number;
}

function failingRowsQuery(test: SqlTest, warehouse: Warehouse): string {
  return test.sql(warehouse.dialect).trim().replace(/;\s*$/, "");
}

export async function runTest(
  warehouse: Warehouse,
  test: SqlTest,
  options: RunTestOptions = {},
): Promise<TestRunResult> {
  const started = performance.now();
  const sql = failingRowsQuery(test, warehouse);
  const [count] = await warehouse.query(`SELECT COUNT(*) AS failures FROM (\n${sql}\n) AS failing`);
  return withSample(warehouse, test, sql, Number(count?.failures ?? 0), started, options);
}

/**
 * Runs `tests` with one counting statement; returns one result per test, in order. A test whose own
 * query fails rejects its promise alone.
 */
export function runTests(
  warehouse: Warehouse,
  tests: readonly SqlTest[],
  options: RunTestOptions = {},
): Promise<TestRunResult>[] {
  if (tests.length <= 1) return tests.map((test) => runTest(warehouse, test, options));
  const started = performance.now();
  const queries = tests.map((test) => failingRowsQuery(test, warehouse));
  const batch = warehouse
    .query(
      queries
        .map((sql, i) => `SELECT ${i} AS test_index, COUNT(*) AS failures FROM (\n${sql}\n) AS failing`)
        .join("\nUNION ALL\n"),
    )
    .then((rows) => new Map(rows.map((row) => [Number(row.test_index), Number(row.failures ?? 0)])));
  return tests.map(async (test, i) => {
    const counts = await batch.catch(() => undefined);
    const failures = counts?.get(i);
    if (failures === undefined) return runTest(warehouse, test, options);
    return withSample(warehouse, test, queries[i] ?? "", failures, started, options);
  });
}

async function withSample(
  warehouse: Warehouse,
  test: SqlTest,
  sql: string,
  failingRows: number,
  started: number,
  options: RunTestOptions,
): Promise<TestRunResult> {
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
