/**
 * Schema enforcement on write: a frame must fit the table schema before any data file is written,
 * so a bad frame costs nothing and commits nothing. Additive evolution (new nullable columns) is
 * opt-in through `mergeSchema`; type changes are always refused.
 */
import pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import { frameDtypes, sameDtype } from "./frame-dtypes.ts";
import { firstValue } from "./stats.ts";
import {
  canWidenTo,
  type DeltaField,
  type DeltaStruct,
  deltaTypeOf,
  polarsTypeOf,
  typeName,
} from "./table-schema.ts";

export interface ConformedFrame {
  /** The frame with the table's columns, in table order, cast to the table's types. */
  readonly frame: pl.DataFrame;
  /** The schema to commit with; differs from the input schema only when columns were added. */
  readonly schema: DeltaStruct;
  readonly addedColumns: readonly string[];
}

function describe(schema: DeltaStruct): string {
  return schema.fields.map((field) => `${field.name}: ${typeName(field.type)}`).join(", ");
}

export function conformFrame(
  frame: pl.DataFrame,
  schema: DeltaStruct,
  options: { readonly mergeSchema?: boolean } = {},
): ConformedFrame {
  const byLowerName = new Map(schema.fields.map((field) => [field.name.toLowerCase(), field]));
  const added: DeltaField[] = [];
  const dtypes = frameDtypes(frame);
  const dtypeOf = (column: string): pl.DataType => dtypes.get(column) ?? pl.Null;
  for (const column of frame.columns) {
    const field = byLowerName.get(column.toLowerCase());
    if (field !== undefined && field.name !== column) {
      throw new StrataError(
        "STRATA_ERR_DELTA_SCHEMA_MISMATCH",
        `frame column ${quote(column)} differs only in case from table column ${quote(field.name)}; Delta column names are case-insensitive.`,
        { column, tableColumn: field.name },
      );
    }
    const frameType = deltaTypeOf(dtypeOf(column), column);
    if (field === undefined) {
      if (options.mergeSchema !== true) {
        throw new StrataError(
          "STRATA_ERR_DELTA_SCHEMA_MISMATCH",
          `frame column ${quote(column)} (${typeName(frameType)}) is not in the table schema {${describe(schema)}}.`,
          { column },
        );
      }
      added.push({ name: column, type: frameType, nullable: true, metadata: {} });
      continue;
    }
    const isNullColumn = dtypeOf(column).variant === "Null";
    if (!isNullColumn && !canWidenTo(frameType, field.type)) {
      throw new StrataError(
        "STRATA_ERR_DELTA_TYPE_CHANGE",
        `column ${quote(column)} is ${quote(typeName(field.type))} in the table but ${quote(typeName(frameType))} in the frame.`,
        { column, tableType: typeName(field.type), frameType: typeName(frameType) },
      );
    }
  }
  const evolved: DeltaStruct =
    added.length === 0 ? schema : { type: "struct", fields: [...schema.fields, ...added] };
  const present = new Set(frame.columns);
  // Only columns that are missing or of another type get an expression (each costs ~2 ms to build).
  const fixes = evolved.fields.flatMap((field) => {
    const target = polarsTypeOf(field.type);
    if (!present.has(field.name)) {
      if (!field.nullable) {
        throw new StrataError(
          "STRATA_ERR_DELTA_SCHEMA_MISMATCH",
          `the frame has no column ${quote(field.name)}, which the table declares NOT NULL.`,
          { column: field.name },
        );
      }
      return [pl.lit(null).cast(target).alias(field.name)];
    }
    return sameDtype(dtypeOf(field.name), target) ? [] : [pl.col(field.name).cast(target).alias(field.name)];
  });
  const order = evolved.fields.map((field) => field.name);
  const conformed =
    frame.height === 0 && frame.width === 0
      ? frame
      : (fixes.length > 0 ? frame.withColumns(...fixes) : frame).select(...order);
  checkInvariants(conformed, evolved);
  return { frame: conformed, schema: evolved, addedColumns: added.map((field) => field.name) };
}

/** The SQL of a `delta.invariants` column metadata entry: {"expression":{"expression":"<sql>"}}. */
function invariantExpression(field: DeltaField): string | undefined {
  const raw = field.metadata["delta.invariants"];
  if (typeof raw !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== "object" || parsed === null || !("expression" in parsed)) return undefined;
    const inner = parsed.expression;
    if (
      typeof inner === "object" &&
      inner !== null &&
      "expression" in inner &&
      typeof inner.expression === "string"
    ) {
      return inner.expression;
    }
  } catch {
    // fall through: an unreadable invariant cannot be honoured, refuse below
  }
  throw new StrataError(
    "STRATA_ERR_DELTA_INVARIANT_VIOLATED",
    `column ${quote(field.name)} has an unreadable invariant ${quote(raw)}.`,
    {
      column: field.name,
    },
  );
}

/** Writer v2 obligation: NOT NULL columns and `delta.invariants` expressions hold for every row. */
export function checkInvariants(frame: pl.DataFrame, schema: DeltaStruct): void {
  for (const field of schema.fields) {
    if (!frame.columns.includes(field.name)) continue;
    if (!field.nullable) {
      const nulls = frame.getColumn(field.name).nullCount();
      if (nulls > 0) {
        throw new StrataError(
          "STRATA_ERR_DELTA_INVARIANT_VIOLATED",
          `column ${quote(field.name)} is NOT NULL in the table but ${nulls} row(s) of the frame are null.`,
          { column: field.name, rows: nulls },
        );
      }
    }
    const expression = invariantExpression(field);
    if (expression === undefined) continue;
    let violations: number;
    try {
      // Invariants are Spark SQL; polars SQL covers the comparison/boolean subset they use in practice.
      const result = pl
        .SQLContext({ strata_rows: frame })
        .execute(`SELECT count(*) AS n FROM strata_rows WHERE NOT coalesce((${expression}), false)`, {
          eager: true,
        });
      violations = Number(firstValue(result.getColumn("n")));
    } catch (error) {
      throw new StrataError(
        "STRATA_ERR_DELTA_INVARIANT_VIOLATED",
        `the invariant ${quote(expression)} on column ${quote(field.name)} cannot be evaluated, so the write is refused.`,
        { column: field.name, expression },
        { cause: error },
      );
    }
    if (violations > 0) {
      throw new StrataError(
        "STRATA_ERR_DELTA_INVARIANT_VIOLATED",
        `${violations} row(s) violate the invariant ${quote(expression)} on column ${quote(field.name)}.`,
        { column: field.name, expression, rows: violations },
      );
    }
  }
}
