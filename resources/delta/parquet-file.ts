/**
 * Reading one Delta data file into a polars frame. polars reads almost everything; two cases go
 * through DuckDB, which rewrites the file to a temporary Parquet polars reads correctly:
 * - INT96 timestamps (Spark's default): polars decodes them as nanoseconds, which overflows past
 *   2262 (delta-rs/table_with_edge_timestamps holds 9999-12-31); DuckDB decodes them to microseconds.
 * - binary columns: nodejs-polars cannot hand a Binary column to JS, so they become lower-case hex.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import { localFiles, sqlString, withDuckDb } from "./duckdb-parquet.ts";

export interface DataFileColumns {
  /** Top-level columns of Delta type binary. */
  readonly binary: readonly string[];
  /** Top-level columns of Delta type timestamp (possibly INT96 in the file). */
  readonly timestamp: readonly string[];
}

function missing(key: string): StrataError {
  return new StrataError(
    "STRATA_ERR_DELTA_DATA_FILE_MISSING",
    `data file ${quote(key)} referenced by the Delta log does not exist.`,
    { key },
  );
}

function unreadable(key: string, error: unknown): StrataError {
  const reason = error instanceof Error ? error.message : String(error);
  return new StrataError(
    "STRATA_ERR_DELTA_UNREADABLE_DATA_FILE",
    `data file ${quote(key)} cannot be read as Parquet: ${reason}.`,
    { key },
    { cause: error },
  );
}

async function readWithPolars(store: ObjectStore, key: string): Promise<pl.DataFrame> {
  const local = store.localPath(key);
  let source: string | Buffer;
  if (local !== undefined) {
    try {
      await stat(local);
    } catch {
      throw missing(key);
    }
    source = local;
  } else {
    const bytes = await store.getIfExists(key);
    if (bytes === undefined) throw missing(key);
    source = Buffer.from(bytes);
  }
  try {
    return pl.readParquet(source);
  } catch (error) {
    throw unreadable(key, error);
  }
}

function hasNanosecondTimestamp(frame: pl.DataFrame, columns: readonly string[]): boolean {
  return columns.some((column) => {
    if (!frame.columns.includes(column)) return false;
    const dtype = frame.getColumn(column).dtype;
    return dtype.variant === "Datetime" && JSON.stringify(dtype).includes('"ns"');
  });
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function readThroughDuckDb(
  store: ObjectStore,
  key: string,
  columns: DataFileColumns,
  present: string[],
) {
  const files = await localFiles(store, [key]);
  const directory = await mkdtemp(join(tmpdir(), "strata-delta-read-"));
  try {
    const path = files.paths[0];
    if (path === undefined) throw missing(key);
    const output = join(directory, `${randomUUID()}.parquet`);
    const replace = [
      ...columns.binary
        .filter((c) => present.includes(c))
        .map((c) => `lower(hex(${quoteIdentifier(c)})) AS ${quoteIdentifier(c)}`),
      ...columns.timestamp
        .filter((c) => present.includes(c))
        .map((c) => `${quoteIdentifier(c)}::TIMESTAMP AS ${quoteIdentifier(c)}`),
    ];
    const projection = replace.length === 0 ? "*" : `* REPLACE (${replace.join(", ")})`;
    try {
      await withDuckDb((connection) =>
        connection.run(
          `COPY (SELECT ${projection} FROM read_parquet(${sqlString(path)})) TO ${sqlString(output)} (FORMAT parquet)`,
        ),
      );
    } catch (error) {
      throw unreadable(key, error);
    }
    return pl.readParquet(output);
  } finally {
    await rm(directory, { recursive: true, force: true });
    await files.release();
  }
}

/** The file's rows with every column as stored (no projection to the table schema yet). */
export async function readDataFile(
  store: ObjectStore,
  key: string,
  columns: DataFileColumns,
): Promise<pl.DataFrame> {
  const frame = await readWithPolars(store, key);
  const present = frame.columns;
  const needsDuckDb =
    columns.binary.some((column) => present.includes(column)) ||
    hasNanosecondTimestamp(frame, columns.timestamp);
  return needsDuckDb ? readThroughDuckDb(store, key, columns, present) : frame;
}
