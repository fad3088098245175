/**
 * Merge (upsert) planning: which data files hold keys of the source, which of their rows are
 * replaced, and which source rows are new. Only files that actually change are rewritten
 * (remove + add); files whose matched rows all fail the "update only when" condition stay as they
 * are, so replaying old data produces no rewrite at all.
 *
 * Finding the files: partition values and min/max stats rule files out first, then the key index
 * (key-index.ts) rules out every file that holds none of the source keys, so a merge of new keys
 * reads no data file at all and a merge of known keys reads only the files holding them, however
 * large the table and however random its keys. Polars expressions are built only where a join
 * cannot do the work (the update condition, casts): nodejs-polars spends milliseconds per expression.
 */
import pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import type { AddAction } from "./actions.ts";
import { readFileRows } from "./data-file-rows.ts";
import { keyRows } from "./key-hashes.ts";
import { filesWithKeys, sourceKeysOf } from "./key-index.ts";
import { decodeLogPath } from "./partition-values.ts";
import { parseStats } from "./stats.ts";
import type { DeltaFieldType } from "./table-schema.ts";
import type { TableLayout } from "./writer.ts";

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
  /** How many live files partition values and stats left, and how many of those the key index left (read). */
  readonly files: { readonly afterStats: number; readonly read: number };
}

const SOURCE_PREFIX = "__strata_src_";
const ROW_INDEX = "__strata_row";
const NULL_PARTITION = "\u0000null";

type Bound = number | string;

interface KeyRange {
  readonly column: string;
  readonly isPartition: boolean;
  readonly values?: ReadonlySet<string>;
  readonly min?: Bound;
  readonly max?: Bound;
}

const INTEGER_TYPES = new Set(["long", "integer", "short", "byte"]);

function asBound(value: unknown): Bound | undefined {
  if (typeof value === "bigint") return Number(value);
  return typeof value === "number" || typeof value === "string" ? value : undefined;
}

/** Code-point order, which is polars' (UTF-8 byte) order; JS's `<` compares UTF-16 units. */
function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/**
 * Order of two bounds as polars orders them; NaN when they are not comparable, which never prunes.
 * Integers beyond 2^53 round on both sides the same monotonic way, so a strict order still proves one.
 */
function compareBounds(a: Bound, b: Bound): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  return Number.NaN;
}

/** A partition value in one comparable form: the log's string, integers normalised, null (or "") as a token. */
function partitionToken(value: unknown, type: DeltaFieldType | undefined): string {
  if (value === null || value === undefined || value === "") return NULL_PARTITION;
  if (typeof type === "string" && INTEGER_TYPES.has(type)) return String(Number(value));
  return String(value);
}

/**
 * Key ranges of the source from its key values (`rows`, one array per row in key order), comparable
 * with file stats (integers and strings) and partition values (strings, integers, booleans).
 */
function sourceKeyRanges(
  rows: readonly (readonly unknown[])[],
  layout: TableLayout,
  keys: readonly string[],
): KeyRange[] {
  const types = new Map<string, DeltaFieldType>(
    layout.schema.fields.map((field) => [field.name, field.type]),
  );
  return keys.map((column, k) => {
    const type = types.get(column);
    if (layout.partitionColumns.includes(column)) {
      if (type !== "string" && type !== "boolean" && !(typeof type === "string" && INTEGER_TYPES.has(type))) {
        return { column, isPartition: true };
      }
      return { column, isPartition: true, values: new Set(rows.map((row) => partitionToken(row[k], type))) };
    }
    if (type !== "string" && !(typeof type === "string" && INTEGER_TYPES.has(type))) {
      return { column, isPartition: false };
    }
    let min: Bound | undefined;
    let max: Bound | undefined;
    for (const row of rows) {
      const value = asBound(row[k]);
      if (value === undefined) continue;
      if (min === undefined || compareBounds(value, min) < 0) min = value;
      if (max === undefined || compareBounds(value, max) > 0) max = value;
    }
    return {
      column,
      isPartition: false,
      ...(min === undefined ? {} : { min }),
      ...(max === undefined ? {} : { max }),
    };
  });
}

/** False only when partition values or min/max stats prove the file holds none of the source keys. */
function fileMayHoldKeys(
  add: AddAction,
  ranges: readonly KeyRange[],
  types: ReadonlyMap<string, DeltaFieldType>,
): boolean {
  let stats: ReturnType<typeof parseStats> | null = null;
  for (const range of ranges) {
    if (range.isPartition) {
      if (range.values === undefined) continue;
      const token = partitionToken(add.partitionValues[range.column], types.get(range.column));
      if (!range.values.has(token)) return false;
      continue;
    }
    if (range.min === undefined || range.max === undefined) continue;
    if (stats === null) stats = parseStats(add.stats);
    if (stats === undefined) continue;
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
  if (source.height < 2) return;
  const keyFrame = source.select(...keys);
  const duplicated = keyFrame.isDuplicated();
  if (!duplicated.any()) return;
  const rows = keyFrame.filter(duplicated);
  throw new StrataError(
    "STRATA_ERR_DELTA_DUPLICATE_SOURCE_KEY",
    `${rows.height} source rows share a key with another row, e.g. ${quote(rows.head(1).toRecords()[0])}.`,
    { keys, rows: rows.height },
  );
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
  const sourceRows = keyRows(source, keys);
  const ranges = sourceKeyRanges(sourceRows, layout, keys);
  const types = new Map<string, DeltaFieldType>(
    layout.schema.fields.map((field) => [field.name, field.type]),
  );
  const mayHoldSourceKeys = (add: AddAction) => fileMayHoldKeys(add, ranges, types);
  const columns = layout.schema.fields.map((field) => field.name);
  const valueColumns = columns.filter((column) => !keys.includes(column));
  const byStats = source.height === 0 ? [] : files.filter(mayHoldSourceKeys);
  const sourceKeys = sourceKeysOf(layout, source, keys, sourceRows);
  const candidates = sourceKeys === undefined ? byStats : await filesWithKeys(layout, byStats, sourceKeys);
  // Source value columns get a prefix so target and source columns can sit side by side in a join.
  const toPrefixed = Object.fromEntries(valueColumns.map((column) => [column, `${SOURCE_PREFIX}${column}`]));
  const fromPrefixed = Object.fromEntries(
    valueColumns.map((column) => [`${SOURCE_PREFIX}${column}`, column]),
  );
  const prefixed = source.select(...columns).rename(toPrefixed);
  let condition: pl.Expr | undefined;
  const updateCondition = (): pl.Expr | undefined => {
    if (spec.updateWhen === undefined) return undefined;
    condition ??= spec
      .updateWhen({
        source: (column) => pl.col(keys.includes(column) ? column : `${SOURCE_PREFIX}${column}`),
        target: (column) => pl.col(column),
      })
      .fillNull(false);
    return condition;
  };
  const readFiles = new Set<string>();
  const rewritten: AddAction[] = [];
  const outputs: pl.DataFrame[] = [];
  const matchedKeys: pl.DataFrame[] = [];
  let updated = 0;
  let unchanged = 0;
  for (const add of candidates) {
    readFiles.add(decodeLogPath(add.path));
    const target = (await readFileRows(layout, add)).withRowIndex(ROW_INDEX);
    const joined = target.join(prefixed, { on: [...keys], how: "inner" });
    if (joined.height === 0) continue;
    matchedKeys.push(joined.select(...keys));
    const when = updateCondition();
    const winners = when === undefined ? joined : joined.filter(when);
    unchanged += joined.height - winners.height;
    if (winners.height === 0) continue;
    updated += winners.height;
    const replacedRows = winners.select(ROW_INDEX);
    const kept = target.join(replacedRows, { on: ROW_INDEX, how: "anti" }).select(...columns);
    const replacements = winners
      .select(...keys, ...valueColumns.map((column) => `${SOURCE_PREFIX}${column}`))
      .rename(fromPrefixed)
      .select(...columns);
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
    files: { afterStats: byStats.length, read: candidates.length },
  };
}
