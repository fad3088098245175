/**
 * DuckDB as the reader's Parquet tool for what nodejs-polars cannot do: checkpoint files (MAP
 * columns, several writers' map/list layouts, optional columns) and data files polars decodes
 * wrongly (INT96 timestamps overflow polars' nanoseconds past 2262) or cannot expose to JS (binary).
 * Objects not on local disk are copied to a temporary file first, as DuckDB reads paths.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { ObjectStore } from "../object-store/object-store.ts";

let connection: Promise<DuckDBConnection> | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** One in-memory DuckDB connection per process, created on first use. */
function duckdb(): Promise<DuckDBConnection> {
  connection ??= DuckDBInstance.create(":memory:", { threads: "1" }).then((instance) => instance.connect());
  return connection;
}

/**
 * Run `work` with the shared connection, one caller at a time: a DuckDB connection runs one
 * statement at a time, and concurrent reads (several tables loaded at once) must not interleave.
 */
export function withDuckDb<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const run = queue.then(async () => work(await duckdb()));
  queue = run.catch(() => undefined);
  return run;
}

/** A SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export interface LocalFiles {
  readonly paths: readonly string[];
  /** Removes temporary copies; a no-op when every object was already local. */
  release(): Promise<void>;
}

/** Local paths for objects: the store's own path when it has one, else a temporary copy. */
export async function localFiles(store: ObjectStore, keys: readonly string[]): Promise<LocalFiles> {
  let directory: string | undefined;
  const paths: string[] = [];
  for (const key of keys) {
    const local = store.localPath(key);
    if (local !== undefined) {
      paths.push(local);
      continue;
    }
    directory ??= await mkdtemp(join(tmpdir(), "strata-delta-"));
    const path = join(directory, `${randomUUID()}.parquet`);
    await writeFile(path, await store.get(key));
    paths.push(path);
  }
  return {
    paths,
    release: async () => {
      if (directory !== undefined) await rm(directory, { recursive: true, force: true });
    },
  };
}
