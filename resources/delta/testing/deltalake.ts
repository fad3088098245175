/**
 * Test helper: drive the `deltalake` (delta-rs) Python package through a cached venv created by
 * infra/local/python-venv.sh, and canonicalise Strata frames the same way the Python side does.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pl from "nodejs-polars";

const run = promisify(execFile);
const venvScript = fileURLToPath(new URL("../../../infra/local/python-venv.sh", import.meta.url));
const tool = fileURLToPath(new URL("./deltalake_tool.py", import.meta.url));

let python: Promise<string> | undefined;

/** Create (once per machine; cached under .cache/venv) the venv with pinned deltalake + pyarrow. */
export function ensurePython(): Promise<string> {
  python ??= run("bash", [venvScript], { maxBuffer: 1 << 20, timeout: 600_000 }).then(
    ({ stdout }) => stdout.trim().split("\n").at(-1) ?? "",
  );
  return python;
}

export async function deltalake(...args: string[]): Promise<string> {
  const { stdout } = await run(await ensurePython(), [tool, ...args], {
    maxBuffer: 64 << 20,
    timeout: 120_000,
  });
  return stdout;
}

export type Row = Record<string, unknown>;

function isRow(value: unknown): value is Row {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Rows of the table as delta-rs reads them (at a version, or latest). */
export async function readWithDeltaRs(
  path: string,
  version?: number,
): Promise<{ version: number; rows: Row[]; protocol: number[] }> {
  const parsed: unknown = JSON.parse(
    await deltalake("read", path, ...(version === undefined ? [] : [String(version)])),
  );
  if (
    !isRow(parsed) ||
    !Array.isArray(parsed.rows) ||
    typeof parsed.version !== "number" ||
    !Array.isArray(parsed.protocol)
  ) {
    throw new Error(`unexpected deltalake output ${JSON.stringify(parsed)}`);
  }
  return { version: parsed.version, rows: parsed.rows.filter(isRow), protocol: parsed.protocol.map(Number) };
}

/** A Strata frame in the canonical form: timestamps as µs integers, dates as yyyy-mm-dd strings. */
export function canonicalRows(frame: pl.DataFrame): Row[] {
  const exprs = frame.columns.map((name) => {
    const variant = frame.getColumn(name).dtype.variant;
    if (variant === "Datetime") return pl.col(name).cast(pl.Int64);
    if (variant === "Date") return pl.col(name).cast(pl.Utf8);
    return pl.col(name);
  });
  return frame.select(...exprs).toRecords();
}

/** Order-insensitive comparison form: rows sorted by their JSON with keys sorted. */
export function sortedRows(rows: readonly Row[]): string[] {
  return rows
    .map((row) =>
      JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => a.localeCompare(b)))),
    )
    .sort();
}
