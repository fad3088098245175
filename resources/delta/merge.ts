/**
 * Merge (upsert) planning: which data files hold keys of the source, which of their rows are
 * replaced, and which source rows are new. Only files that actually change are rewritten
 * (remove + add); files whose matched rows all fail the "update only when" condition stay as they
 * are, so replaying old data produces no rewrite at all.
 */
import pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import type { AddAction } from "./actions.ts";
import { decodeLogPath } from "./partition-values.ts";
import { firstValue, parseStats } from "./stats.ts";
import type { DeltaFieldType } from "./table-schema.ts";
import { readDataFile, type TableLayout } from "./writer.ts";

/** Column accessors for the update condition: the incoming (source) row and the existing (target) row. */
export interface MergeColumns {
  source(column: string): pl.Expr;
  target(column: string): pl.Expr;
}

export interface MergeSpec {
  /** Columns identifying a row; the source must hold each key at most once. */
  readonly keys: readonly string[];
  /**
   * Update a matched row only when this holds (null counts as false), e.g.
   * `({ source, target }) => source("ingested_at").gt(target("ingested_at"))`. Default: always.
   */
  readonly updateWhen?: (columns: MergeColumns) => pl.Expr;
}

/**
 * "Update only when the incoming row is newer": compares the columns in order (the first that
 * differs decides, like a tuple comparison), e.g. whenSourceNewer("ingested_at", "offset").
 * A null on either side never counts as newer, so a row with no provenance cannot overwrite.
 */
export function whenSourceNewer(...columns: readonly string[]): (columns: MergeColumns) => pl.Expr {
  return ({ source, target }) => {
    let newer: pl.Expr = pl.lit(false);
    for (const column of [...columns].reverse()) {
      newer = source(column)
        .gt(target(column))
        .or(source(column).eq(target(column)).and(newer));
    }
    return newer;
  };
}

export interface MergeRowMetrics {
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
}

export interface MergePlan {
  readonly metrics: MergeRowMetrics;
  /** Files to remove (each rewritten into `rows`). */
  readonly rewritten: readonly AddAction[];
  /** Rows to write as new files: kept rows of rewritten files, updated rows and inserts. */
  readonly rows: pl.DataFrame;
  /** Decoded paths of every file the plan read; a concurrent removal of one is a conflict. */
  readonly readFiles: ReadonlySet<string>;
  /** Whether a concurrently added file could hold source keys (then the merge must be redone). */
  readonly mayHoldSourceKeys: (add: AddAction) => boolean;
}

const SOURCE_PREFIX = "__strata_src_";
const ROW_INDEX = "__strata_row";

type Bound = number | string;

interface KeyRange {
  readonly column: string;
  readonly isPartition: boolean;
  readonly values?: ReadonlySet<string>;
  readonly min?: Bound;
  readonly max?: Bound;
}

function asBound(value: unknown): Bound | undefined {
  return typeof value === "number" || typeof value === "string" ? value : undefined;
}

/** Key ranges of the source, comparable with file stats (numbers, strings, ISO dates/timestamps). */
function sourceKeyRanges(source: pl.DataFrame, layout: TableLayout, keys: readonly string[]): KeyRange[] {
  const types = new Map<string, DeltaFieldType>(
    layout.schema.fields.map((field) => [field.name, field.type]),
  );
  return keys.map((column) => {
    if (layout.partitionColumns.includes(column)) {
      // Partition values are compared in their log (string) form.
      const values = new Set<string>();
      for (const value of source.getColumn(column).unique().toArray())
        values.add(value === null ? "\u0000null" : String(value));
      return { column, isPartition: true, values };
    }
    const type = types.get(column);
    if (type !== "long" && type !== "integer" && type !== "short" && type !== "byte" && type !== "string") {
      return { column, isPartition: false };
    }
    const bounds = source.select(pl.col(column).min().alias("lo"), pl.col(column).max().alias("hi"));
    return {
      column,
      isPartition: false,
      min: asBound(firstValue(bounds.getColumn("lo"))),
      max: asBound(firstValue(bounds.getColumn("hi"))),
    };
  });
}

/**
 * Order of two bounds as polars orders them (strings by UTF-8 bytes, which differs from JS's
 * UTF-16 order for some characters); NaN when they are not comparable, which never prunes.
 */
function compareBounds(a: Bound, b: Bound): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return Number.NaN;
}

/** False only when partition values or min/max stats prove the file holds none of the source keys. */
function fileMayHoldKeys(add: AddAction, ranges: readonly KeyRange[]): boolean {
  const stats = parseStats(add.stats);
  for (const range of ranges) {
    if (range.isPartition) {
      const value = add.partitionValues[range.column];
      const asKey = value === null || value === undefined || value === "" ? "\u0000null" : value;
      if (range.values !== undefined && !range.values.has(asKey)) return false;
      continue;
    }
    if (range.min === undefined || range.max === undefined || stats === undefined) continue;
    const fileMin = asBound(stats.minValues?.[range.column]);
    const fileMax = asBound(stats.maxValues?.[range.column]);
    if (fileMax !== undefined && compareBounds(fileMax, range.min) < 0) return false;
    if (fileMin !== undefined && compareBounds(fileMin, range.max) > 0) return false;
  }
  return true;
}

function checkSourceKeys(source: pl.DataFrame, keys: readonly string[], layout: TableLayout): void {
  if (keys.length === 0) {
    throw new StrataError("STRATA_ERR_DELTA_INVALID_WRITE", "merge needs at least one key column; got [].", {
      keys,
    });
  }
  const known = new Set(layout.schema.fields.map((field) => field.name));
  for (const key of keys) {
    if (!known.has(key) || !source.columns.includes(key)) {
      throw new StrataError(
        "STRATA_ERR_DELTA_INVALID_WRITE",
        `merge key ${quote(key)} is not a column of both the table and the source frame.`,
        { key },
      );
    }
  }
  const duplicated = source.select(...keys).filter(pl.struct(keys.map((key) => pl.col(key))).isDuplicated());
  if (duplicated.height > 0) {
    throw new StrataError(
      "STRATA_ERR_DELTA_DUPLICATE_SOURCE_KEY",
      `${duplicated.height} source rows share a key with another row, e.g. ${quote(duplicated.head(1).toRecords()[0])}.`,
      { keys, rows: duplicated.height },
    );
  }
}

/** Plan a merge of `source` (already conformed to the table schema) into the given live files. */
export async function planMerge(
  layout: TableLayout,
  files: readonly AddAction[],
  source: pl.DataFrame,
  spec: MergeSpec,
): Promise<MergePlan> {
  const keys = spec.keys;
  checkSourceKeys(source, keys, layout);
  const ranges = sourceKeyRanges(source, layout, keys);
  const mayHoldSourceKeys = (add: AddAction) => fileMayHoldKeys(add, ranges);
  const columns = layout.schema.fields.map((field) => field.name);
  const valueColumns = columns.filter((column) => !keys.includes(column));
  const prefixed = source.select(
    ...keys.map((key) => pl.col(key)),
    ...valueColumns.map((column) => pl.col(column).alias(`${SOURCE_PREFIX}${column}`)),
  );
  const accessors: MergeColumns = {
    source: (column) => pl.col(keys.includes(column) ? column : `${SOURCE_PREFIX}${column}`),
    target: (column) => pl.col(column),
  };
  const condition = spec.updateWhen === undefined ? pl.lit(true) : spec.updateWhen(accessors).fillNull(false);
  const readFiles = new Set<string>();
  const rewritten: AddAction[] = [];
  const outputs: pl.DataFrame[] = [];
  const matchedKeys: pl.DataFrame[] = [];
  let updated = 0;
  let unchanged = 0;
  for (const add of files) {
    if (source.height === 0 || !mayHoldSourceKeys(add)) continue;
    readFiles.add(decodeLogPath(add.path));
    const target = (await readDataFile(layout, add)).withRowIndex(ROW_INDEX);
    const joined = target.join(prefixed, { on: [...keys], how: "inner" });
    if (joined.height === 0) continue;
    matchedKeys.push(joined.select(...keys));
    const winners = joined.filter(condition);
    unchanged += joined.height - winners.height;
    if (winners.height === 0) continue;
    updated += winners.height;
    const replacedRows = winners.select(ROW_INDEX);
    const kept = target.join(replacedRows, { on: ROW_INDEX, how: "anti" }).select(...columns);
    const replacements = winners.select(
      ...columns.map((column) =>
        keys.includes(column) ? pl.col(column) : pl.col(`${SOURCE_PREFIX}${column}`).alias(column),
      ),
    );
    outputs.push(kept, replacements);
    rewritten.push(add);
  }
  const inserts =
    matchedKeys.length === 0
      ? source.select(...columns)
      : source.join(pl.concat(matchedKeys).unique(), { on: [...keys], how: "anti" }).select(...columns);
  if (inserts.height > 0) outputs.push(inserts);
  const rows =
    outputs.length === 0 ? source.clear().select(...columns) : pl.concat(outputs, { how: "vertical" });
  return {
    metrics: { inserted: inserts.height, updated, unchanged },
    rewritten,
    rows,
    readFiles,
    mayHoldSourceKeys,
  };
}
