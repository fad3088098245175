/**
 * The writer's view of a Delta schema: parse `schemaString`, derive a schema from a polars frame,
 * and map Delta types to the polars types data files are written with. Kept separate from the
 * reader's schema module so the writer's rules (which casts are allowed on write) live in one place.
 */
import pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import { frameDtypes } from "./frame-dtypes.ts";
import { type DeltaSchema, type DeltaStructField, type DeltaType, parseSchema } from "./schema.ts";

/** The writer uses the reader's schema model and parser (one definition of the log's schema shape). */
export type DeltaFieldType = DeltaType;
export type DeltaField = DeltaStructField;
export type DeltaStruct = DeltaSchema;

export function parseSchemaString(schemaString: string): DeltaStruct {
  return parseSchema(schemaString);
}

export function serialiseSchema(schema: DeltaStruct): string {
  return JSON.stringify(schema);
}

/** The element type of a List, or the fields of a Struct (the getter is protected in the typings). */
function innerTypes(dtype: pl.DataType): unknown[] {
  const inner: unknown = Reflect.get(dtype, "inner");
  return Array.isArray(inner) ? inner : [];
}

/** The Delta type a polars column becomes when a table is created (or a column added) from a frame. */
export function deltaTypeOf(dtype: pl.DataType, column: string): DeltaFieldType {
  switch (dtype.variant) {
    case "Int8":
      return "byte";
    case "Int16":
    case "UInt8":
      return "short";
    case "Int32":
    case "UInt16":
      return "integer";
    case "Int64":
    case "UInt32":
      return "long";
    case "Float32":
      return "float";
    case "Float64":
      return "double";
    case "Bool":
      return "boolean";
    case "String":
    case "Utf8":
    case "Categorical":
    case "Null":
      // An all-null column has no type of its own; string is what Spark infers for NULL literals.
      return "string";
    case "Date":
      return "date";
    case "Datetime":
      return "timestamp";
    case "Decimal": {
      const text = JSON.stringify(dtype);
      const match = /"precision":(\d+),"scale":(\d+)/.exec(text);
      return match ? `decimal(${match[1]},${match[2]})` : "decimal(38,18)";
    }
    case "List": {
      const inner = innerTypes(dtype)[0];
      if (!(inner instanceof pl.DataType)) break;
      return { type: "array", elementType: deltaTypeOf(inner, column), containsNull: true };
    }
    case "Struct": {
      const fields = innerTypes(dtype).flatMap((field) =>
        field instanceof pl.Field
          ? [
              {
                name: field.name,
                type: deltaTypeOf(field.dtype, `${column}.${field.name}`),
                nullable: true,
                metadata: {},
              },
            ]
          : [],
      );
      return { type: "struct", fields };
    }
    default:
      break;
  }
  throw new StrataError(
    "STRATA_ERR_DELTA_TYPE_CHANGE",
    `column ${quote(column)} has polars type ${quote(String(dtype))}, which has no Delta equivalent Strata writes.`,
    { column, dtype: String(dtype) },
  );
}

/** The polars type data files carry for a Delta type (timestamps: microseconds, UTC). */
/** Built once: constructing a polars DataType costs about a millisecond in nodejs-polars. */
const PRIMITIVE_POLARS_TYPES: Readonly<Record<string, pl.DataType>> = {
  byte: pl.Int8,
  short: pl.Int16,
  integer: pl.Int32,
  long: pl.Int64,
  float: pl.Float32,
  double: pl.Float64,
  boolean: pl.Bool,
  string: pl.Utf8,
  date: pl.Date,
  timestamp: pl.Datetime("us", "UTC"),
};

export function polarsTypeOf(type: DeltaFieldType): pl.DataType {
  if (typeof type !== "string") {
    if (type.type === "array") return pl.List(polarsTypeOf(type.elementType));
    if (type.type === "struct") {
      return pl.Struct(type.fields.map((field) => new pl.Field(field.name, polarsTypeOf(field.type))));
    }
    throw new StrataError(
      "STRATA_ERR_DELTA_UNSUPPORTED_WRITER",
      `Delta map columns are not written by Strata.`,
      {},
    );
  }
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) return pl.Decimal(Number(decimal[1]), Number(decimal[2]));
  const found = PRIMITIVE_POLARS_TYPES[type];
  if (found === undefined) {
    throw new StrataError(
      "STRATA_ERR_DELTA_UNSUPPORTED_WRITER",
      `Delta type ${quote(type)} is not written by Strata.`,
      {
        type,
      },
    );
  }
  return found;
}

export function typeName(type: DeltaFieldType): string {
  return typeof type === "string" ? type : JSON.stringify(type);
}

const INTEGER_RANK: Record<string, number> = { byte: 1, short: 2, integer: 3, long: 4 };

/** A write may widen a value losslessly (int → long, float → double); anything else is a type change. */
export function canWidenTo(from: DeltaFieldType, to: DeltaFieldType): boolean {
  if (typeName(from) === typeName(to)) return true;
  if (typeof from !== "string" || typeof to !== "string") return false;
  const fromRank = INTEGER_RANK[from];
  const toRank = INTEGER_RANK[to];
  if (fromRank !== undefined && toRank !== undefined) return fromRank <= toRank;
  return from === "float" && to === "double";
}

/** A table schema derived from a frame (all columns nullable, like Spark's default). */
export function schemaFromFrame(frame: pl.DataFrame): DeltaStruct {
  const dtypes = frameDtypes(frame);
  return {
    type: "struct",
    fields: frame.columns.map((name) => ({
      name,
      type: deltaTypeOf(dtypes.get(name) ?? pl.Null, name),
      nullable: true,
      metadata: {},
    })),
  };
}
