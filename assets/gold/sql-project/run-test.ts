/**
 * Runs data tests: a test's query returns the failing rows, so the test passes when there are none.
 * A few failing rows are kept as a sample for the check result, the rest only counted.
 *
 * `runTests` counts the failing rows of many tests in a few statements (one COUNT per test, joined by
 * UNION ALL): each test still runs its own query in full, but the warehouse plans and schedules them
 * together instead of paying a round trip per test. The tests are spread over `statements` statements
 * (default 2) issued at once, so a warehouse running one thread per statement still uses two cores. If a
 * statement fails, each of its tests runs on its own, so a broken test reports its own error and never
 * hides the results of the others.
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
  /** runTests only: how many counting statements to spread the tests over (default 2). */
  readonly statements?: number;
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
 * Runs `tests` with a few counting statements; returns one result per test, in order. A test whose own
 * query fails rejects its promise alone.
 */
export function runTests(
  warehouse: Warehouse,
  tests: readonly SqlTest[],
  options: RunTestOptions = {},
): Promise<TestRunResult>[] {
  if (tests.length === 0) return [];
  const started = performance.now();
  const queries = tests.map((test) => failingRowsQuery(test, warehouse));
  const statements = Math.max(1, Math.min(Math.floor(options.statements ?? 2), tests.length));
  // Round robin, so the costly tests of a model (unique keys, relationships) do not all land in one statement.
  const counts = Array.from({ length: statements }, (_, s) => {
    const members = queries.map((_, i) => i).filter((i) => i % statements === s);
    // A lone test runs as itself (below), with no batch around it.
    if (members.length === 1) return Promise.resolve(undefined);
    return warehouse
      .query(
        members
          .map((i) => `SELECT ${i} AS test_index, COUNT(*) AS failures FROM (\n${queries[i]}\n) AS failing`)
          .join("\nUNION ALL\n"),
      )
      .then((rows) => new Map(rows.map((row) => [Number(row.test_index), Number(row.failures ?? 0)])))
      .catch(() => undefined);
  });
  return tests.map(async (test, i) => {
    const failures = (await counts[i % statements])?.get(i);
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
