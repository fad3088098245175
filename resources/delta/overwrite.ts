/**
 * Partition predicates for overwrites (Delta's replaceWhere restricted to partition columns):
 * which live files an overwrite replaces, and a guard that the new rows stay inside those
 * partitions, so an overwrite cannot silently write rows it does not replace.
 */
import type pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import type { AddAction } from "./actions.ts";
import { serialisePartitionValue } from "./partition-values.ts";
import type { TableLayout } from "./writer.ts";

type PartitionScalar = string | number | boolean | Date | null;

/** Partition column → allowed value(s); a file matches when every listed column matches. */
export type PartitionPredicate = Readonly<Record<string, PartitionScalar | readonly PartitionScalar[]>>;

function allowedValues(layout: TableLayout, predicate: PartitionPredicate): Map<string, Set<string | null>> {
  const types = new Map(layout.schema.fields.map((field) => [field.name, field.type]));
  const allowed = new Map<string, Set<string | null>>();
  for (const [column, value] of Object.entries(predicate)) {
    const type = types.get(column);
    if (type === undefined || !layout.partitionColumns.includes(column)) {
      throw new StrataError(
        "STRATA_ERR_DELTA_PARTITION_PREDICATE",
        `overwrite predicate column ${quote(column)} is not a partition column (partition columns: ${quote(layout.partitionColumns)}).`,
        { column },
      );
    }
    const values: readonly PartitionScalar[] = Array.isArray(value) ? value : [value];
    allowed.set(column, new Set(values.map((item) => serialisePartitionValue(item, type))));
  }
  return allowed;
}

export function partitionFilter(
  layout: TableLayout,
  predicate: PartitionPredicate,
): (add: AddAction) => boolean {
  const allowed = allowedValues(layout, predicate);
  return (add) =>
    [...allowed].every(([column, values]) => {
      const value = add.partitionValues[column];
      return values.has(value === undefined || value === "" ? null : value);
    });
}

/** Refuse rows that the predicate does not cover: they would be added without replacing anything. */
export function rowsOutsidePartitions(
  frame: pl.DataFrame,
  layout: TableLayout,
  predicate: PartitionPredicate,
): void {
  const allowed = allowedValues(layout, predicate);
  if (frame.height === 0) return;
  const types = new Map(layout.schema.fields.map((field) => [field.name, field.type]));
  const distinct = frame.select(...allowed.keys()).unique();
  for (const row of distinct.toRecords()) {
    for (const [column, values] of allowed) {
      const value = serialisePartitionValue(row[column], types.get(column) ?? "string");
      if (!values.has(value)) {
        throw new StrataError(
          "STRATA_ERR_DELTA_PARTITION_PREDICATE",
          `the frame has rows with ${column} = ${quote(value)}, outside the overwritten partitions ${quote(predicate)}.`,
          { column, value },
        );
      }
    }
  }
}
