/**
 * A snapshot's rows as one polars frame: every live file read, projected onto the snapshot's schema
 * (columns a file lacks, e.g. added later by schema evolution, are null; columns the schema does not
 * name are dropped), partition columns added as typed columns from the log, then concatenated.
 * `activeFiles` gives the same files as object keys / local paths for engines that read Parquet
 * themselves (DuckDB `read_parquet([...])`); they must add the partition columns from the log.
 */
import pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import type { AddAction } from "./actions.ts";
import { readDataFile } from "./parquet-file.ts";
import { partitionLiteral } from "./partition-read.ts";
import { decodeLogPath } from "./partition-values.ts";
import { type DeltaStructField, polarsTypeFor } from "./schema.ts";
import { type DeltaSnapshot, normaliseRoot } from "./snapshot.ts";

export interface ActiveFile {
  readonly add: AddAction;
  /** The data file's object key in the store (the log path decoded once, joined to the table root). */
  readonly key: string;
  /** Absolute local path when the store is a local folder, undefined for remote stores. */
  readonly localPath: string | undefined;
  readonly partitionValues: Readonly<Record<string, string | null>>;
}

const URI_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

/** `file:/a`, `file://a` and `file:///a` all name the local path /a (Spark writes `file:/a`). */
function canonicalUri(uri: string): string {
  return uri.replace(/^file:\/*/i, "file:///");
}

/** The object key of a log path: relative paths join the table root; absolute URIs must lie in the store. */
export function dataFileKey(store: ObjectStore, tableRoot: string, logPath: string): string {
  const root = normaliseRoot(tableRoot);
  const decoded = decodeLogPath(logPath);
  if (URI_SCHEME.test(logPath)) {
    const uri = canonicalUri(decoded);
    const storeUrl = canonicalUri(`${store.url.replace(/\/+$/, "")}/`);
    for (const prefix of [storeUrl, decodeLogPath(storeUrl)]) {
      if (uri.startsWith(prefix)) return uri.slice(prefix.length);
    }
    throw new StrataError(
      "STRATA_ERR_DELTA_UNREADABLE_DATA_FILE",
      `data file ${quote(logPath)} is an absolute URI outside the object store ${quote(store.url)}.`,
      { path: logPath },
    );
  }
  return root === "" ? decoded : `${root}/${decoded}`;
}

export function activeFiles(store: ObjectStore, snapshot: DeltaSnapshot): ActiveFile[] {
  return snapshot.files.map((add) => {
    const key = dataFileKey(store, snapshot.tableRoot, add.path);
    return { add, key, localPath: store.localPath(key), partitionValues: add.partitionValues };
  });
}

function findColumn(columns: readonly string[], name: string): string | undefined {
  if (columns.includes(name)) return name;
  // Delta column names are case-insensitive; Parquet files written by other engines may differ in case.
  const lower = name.toLowerCase();
  return columns.find((column) => column.toLowerCase() === lower);
}

/** Project a file's frame onto the table schema; `withColumns` keeps literals at the frame's height. */
function project(
  frame: pl.DataFrame,
  fields: readonly DeltaStructField[],
  partitionColumns: readonly string[],
  partitionValues: Readonly<Record<string, string | null>>,
): pl.DataFrame {
  const exprs = fields.map((field) => {
    if (partitionColumns.includes(field.name)) {
      return partitionLiteral(field.name, partitionValues[field.name], field.type);
    }
    const actual = findColumn(frame.columns, field.name);
    const dtype = polarsTypeFor(field.type);
    if (actual === undefined) return pl.lit(null).cast(dtype).alias(field.name);
    // Nested values are taken as stored: a cast would fail when a struct gained fields over time.
    return typeof field.type === "string"
      ? pl.col(actual).cast(dtype).alias(field.name)
      : pl.col(actual).alias(field.name);
  });
  const projected = frame.withColumns(...exprs);
  return projected.select(...fields.map((field) => field.name));
}

export interface ReadTableOptions {
  /** Read only these columns (in this order); partition columns among them come from the log. */
  readonly columns?: readonly string[];
}

function selectedFields(snapshot: DeltaSnapshot, columns: readonly string[] | undefined): DeltaStructField[] {
  const fields = snapshot.schema.fields;
  if (columns === undefined) return [...fields];
  return columns.map((column) => {
    const field = fields.find((candidate) => candidate.name === column);
    if (field === undefined) {
      throw new StrataError(
        "STRATA_ERR_DELTA_SCHEMA_MISMATCH",
        `column ${quote(column)} is not in the table schema (${quote(fields.map((f) => f.name).join(", "))}).`,
        { column },
      );
    }
    return field;
  });
}

export async function readTable(
  store: ObjectStore,
  tableRoot: string,
  snapshot: DeltaSnapshot,
  options: ReadTableOptions = {},
): Promise<pl.DataFrame> {
  const fields = selectedFields(snapshot, options.columns);
  const columns = {
    binary: fields.filter((field) => field.type === "binary").map((field) => field.name),
    timestamp: fields.filter((field) => field.type === "timestamp").map((field) => field.name),
  };
  const rootSnapshot = { ...snapshot, tableRoot: normaliseRoot(tableRoot) };
  const frames: pl.DataFrame[] = [];
  for (const file of activeFiles(store, rootSnapshot)) {
    const frame = await readDataFile(store, file.key, columns);
    try {
      frames.push(project(frame, fields, snapshot.partitionColumns, file.partitionValues));
    } catch (error) {
      if (StrataError.is(error)) throw error;
      throw new StrataError(
        "STRATA_ERR_DELTA_UNREADABLE_DATA_FILE",
        `data file ${quote(file.key)} does not fit the table schema: ${error instanceof Error ? error.message : String(error)}.`,
        { key: file.key },
        { cause: error },
      );
    }
  }
  if (frames.length === 0) {
    return project(pl.DataFrame({ __strata_empty: [] }), fields, snapshot.partitionColumns, {});
  }
  if (frames.length === 1 && frames[0] !== undefined) return frames[0];
  try {
    return pl.concat(frames, { how: "vertical" });
  } catch (error) {
    throw new StrataError(
      "STRATA_ERR_DELTA_UNREADABLE_DATA_FILE",
      `the data files of version ${snapshot.version} have incompatible nested column types: ${error instanceof Error ? error.message : String(error)}.`,
      { version: snapshot.version },
      { cause: error },
    );
  }
}
