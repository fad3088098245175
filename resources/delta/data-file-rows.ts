/**
 * One data file as table rows, building polars expressions only for the columns that need one:
 * partition columns (from the log), columns missing from the file (schema evolution) and columns
 * stored with another type. nodejs-polars spends 2–6 ms building each expression, so casting every
 * column of a 25-column file cost more than reading it; a file Strata wrote needs none.
 * Same result as writer.ts `readDataFile` (which casts every column).
 */
import pl from "nodejs-polars";
import type { AddAction } from "./actions.ts";
import { frameDtypes, sameDtype } from "./frame-dtypes.ts";
import { partitionLiteral } from "./partition-values.ts";
import { polarsTypeOf } from "./table-schema.ts";
import { dataFileKey, type TableLayout } from "./writer.ts";

export async function readFileRows(layout: TableLayout, add: AddAction): Promise<pl.DataFrame> {
  const bytes = await layout.store.get(dataFileKey(layout.root, add.path));
  const file = pl.readParquet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const dtypes = frameDtypes(file);
  const fixes = layout.schema.fields.flatMap((field) => {
    if (layout.partitionColumns.includes(field.name)) {
      return [partitionLiteral(add.partitionValues[field.name], field.type).alias(field.name)];
    }
    const dtype = polarsTypeOf(field.type);
    const stored = dtypes.get(field.name);
    if (stored === undefined) return [pl.lit(null).cast(dtype).alias(field.name)];
    return sameDtype(stored, dtype) ? [] : [pl.col(field.name).cast(dtype).alias(field.name)];
  });
  // withColumns broadcasts the literals to the file's height (a select of literals would give one row).
  const fixed = fixes.length > 0 ? file.withColumns(...fixes) : file;
  return fixed.select(...layout.schema.fields.map((field) => field.name));
}
