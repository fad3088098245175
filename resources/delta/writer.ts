/**
 * Data files: write a (conformed) frame as Parquet under Hive partition directories and describe
 * each file with an `add` action; read one data file back as table rows for rewrites (merge,
 * delete, optimize). Data files are written before any commit, so a crash only leaves orphans
 * (removed later by vacuum) and never a half-visible version.
 */
import { randomUUID } from "node:crypto";
import pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import type { AddAction } from "./actions.ts";
import {
  decodeLogPath,
  encodeLogPath,
  partitionDirectory,
  partitionLiteral,
  partitionValuesOf,
} from "./partition-values.ts";
import { computeStats, statsColumns } from "./stats.ts";
import { type DeltaFieldType, type DeltaStruct, polarsTypeOf } from "./table-schema.ts";

export interface TableLayout {
  readonly store: ObjectStore;
  /** Store key prefix of the table, without trailing slash ("" for the store root). */
  readonly root: string;
  readonly schema: DeltaStruct;
  readonly partitionColumns: readonly string[];
  readonly configuration: Readonly<Record<string, string>>;
}

export interface WriteFilesOptions {
  /** Split a partition's rows into files of at most this many rows (default 1,000,000). */
  readonly maxRowsPerFile?: number;
  /** `dataChange` of the adds: false for compaction, which rearranges without changing data. */
  readonly dataChange?: boolean;
}

export function tableKey(root: string, relative: string): string {
  return root === "" ? relative : `${root}/${relative}`;
}

function fieldTypes(schema: DeltaStruct): Map<string, DeltaFieldType> {
  return new Map(schema.fields.map((field) => [field.name, field.type]));
}

/** Write the frame's rows (already conformed to `layout.schema`) as new data files. */
export async function writeDataFiles(
  layout: TableLayout,
  frame: pl.DataFrame,
  options: WriteFilesOptions = {},
): Promise<AddAction[]> {
  if (frame.height === 0) return [];
  const types = fieldTypes(layout.schema);
  const groups =
    layout.partitionColumns.length === 0
      ? [frame]
      : frame.partitionBy([...layout.partitionColumns], true, true);
  const dataColumns = frame.columns.filter((column) => !layout.partitionColumns.includes(column));
  const withStats = statsColumns(dataColumns, layout.configuration);
  const maxRows = Math.max(1, options.maxRowsPerFile ?? 1_000_000);
  const adds: AddAction[] = [];
  for (const group of groups) {
    const partitionValues = partitionValuesOf(group, layout.partitionColumns, types);
    const directory = partitionDirectory(layout.partitionColumns, partitionValues);
    // Partition columns live in the path and the log, never in the file (as Spark and delta-rs do).
    const data = group.select(...dataColumns);
    for (let offset = 0, part = 0; offset < data.height; offset += maxRows, part++) {
      const slice = data.height <= maxRows ? data : data.slice(offset, maxRows);
      const name = `part-${String(part).padStart(5, "0")}-${randomUUID()}.c000.snappy.parquet`;
      const relative = `${directory}${name}`;
      const body = slice.writeParquet({ compression: "snappy" });
      await layout.store.put(tableKey(layout.root, relative), body);
      adds.push({
        path: encodeLogPath(relative),
        partitionValues,
        size: body.byteLength,
        modificationTime: Date.now(),
        dataChange: options.dataChange ?? true,
        stats: JSON.stringify(computeStats(slice, withStats)),
      });
    }
  }
  return adds;
}

/** The object key of a data file named by a log path (relative paths only; absolute URIs are refused). */
export function dataFileKey(root: string, logPath: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(logPath)) {
    throw new StrataError(
      "STRATA_ERR_DELTA_UNSUPPORTED_WRITER",
      `the table references a data file by absolute URI (${quote(logPath)}); Strata only rewrites files stored under the table root.`,
      { path: logPath },
    );
  }
  return tableKey(root, decodeLogPath(logPath));
}

/**
 * One data file as table rows: columns missing from the file (added later by schema evolution)
 * read as null, partition columns come from the log, every column has the table's type.
 */
export async function readDataFile(layout: TableLayout, add: AddAction): Promise<pl.DataFrame> {
  const bytes = await layout.store.get(dataFileKey(layout.root, add.path));
  const file = pl.readParquet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const present = new Set(file.columns);
  const columns = layout.schema.fields.map((field) => {
    if (layout.partitionColumns.includes(field.name)) {
      return partitionLiteral(add.partitionValues[field.name], field.type).alias(field.name);
    }
    const dtype = polarsTypeOf(field.type);
    return present.has(field.name)
      ? pl.col(field.name).cast(dtype).alias(field.name)
      : pl.lit(null).cast(dtype).alias(field.name);
  });
  // withColumns broadcasts the literals to the file's height (a select of literals would give one row).
  return file.withColumns(...columns).select(...layout.schema.fields.map((field) => field.name));
}
