/**
 * Delta table schemas (PROTOCOL.md "Schema Serialization Format"): parse `schemaString`, serialise
 * it back unchanged in shape, and map Delta types to and from nodejs-polars dtypes. The in-memory
 * shape mirrors the JSON (a primitive type is its name), so serialising is JSON.stringify.
 */
import pl from "nodejs-polars";
// The dtype classes, for instanceof narrowing (the package root exports only their factory functions).
import { Decimal, List, Struct } from "nodejs-polars/bin/datatypes/datatype.js";
import { quote, StrataError } from "../../engine/errors.ts";

/** `string`, `long`, `integer`, `short`, `byte`, `float`, `double`, `boolean`, `binary`, `date`,
 * `timestamp`, `timestamp_ntz`, `void`, `variant` or `decimal(p,s)`. */
export type DeltaPrimitiveType = string;

export interface DeltaArrayType {
  readonly type: "array";
  readonly elementType: DeltaType;
  readonly containsNull: boolean;
}

export interface DeltaMapType {
  readonly type: "map";
  readonly keyType: DeltaType;
  readonly valueType: DeltaType;
  readonly valueContainsNull: boolean;
}

export interface DeltaStructField {
  readonly name: string;
  readonly type: DeltaType;
  readonly nullable: boolean;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface DeltaStructType {
  readonly type: "struct";
  readonly fields: readonly DeltaStructField[];
}

export type DeltaType = DeltaPrimitiveType | DeltaArrayType | DeltaMapType | DeltaStructType;

/** A table schema is a struct type. */
export type DeltaSchema = DeltaStructType;

const PRIMITIVES = new Set([
  "string",
  "long",
  "integer",
  "short",
  "byte",
  "float",
  "double",
  "boolean",
  "binary",
  "date",
  "timestamp",
  "timestamp_ntz",
  "void",
  "variant",
]);
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(what: string, value: unknown): StrataError {
  return new StrataError(
    "STRATA_ERR_DELTA_CORRUPT_LOG",
    `the table schema has an invalid ${what}: ${quote(value)}.`,
    {
      value,
    },
  );
}

export function parseDeltaType(value: unknown): DeltaType {
  if (typeof value === "string") {
    if (PRIMITIVES.has(value) || DECIMAL.test(value)) return value;
    throw invalid("type", value);
  }
  if (!isRecord(value)) throw invalid("type", value);
  if (value.type === "array") {
    return {
      type: "array",
      elementType: parseDeltaType(value.elementType),
      containsNull: value.containsNull !== false,
    };
  }
  if (value.type === "map") {
    return {
      type: "map",
      keyType: parseDeltaType(value.keyType),
      valueType: parseDeltaType(value.valueType),
      valueContainsNull: value.valueContainsNull !== false,
    };
  }
  if (value.type === "struct" && Array.isArray(value.fields)) {
    return { type: "struct", fields: value.fields.map(parseField) };
  }
  throw invalid("type", value);
}

function parseField(value: unknown): DeltaStructField {
  if (!isRecord(value) || typeof value.name !== "string") throw invalid("field", value);
  return {
    name: value.name,
    type: parseDeltaType(value.type),
    nullable: value.nullable !== false,
    metadata: isRecord(value.metadata) ? value.metadata : {},
  };
}

/** Parse `metaData.schemaString`; a schema that is not a JSON struct is a corrupt log. */
export function parseSchema(schemaString: string): DeltaSchema {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schemaString);
  } catch {
    throw invalid("schemaString (not JSON)", schemaString);
  }
  const type = parseDeltaType(parsed);
  if (typeof type === "string" || type.type !== "struct")
    throw invalid("schemaString (not a struct)", schemaString);
  return type;
}

export function serialiseSchema(schema: DeltaSchema): string {
  return JSON.stringify(schema);
}

/** Precision and scale of a `decimal(p,s)` type name, undefined for other types. */
export function decimalParts(type: DeltaType): { precision: number; scale: number } | undefined {
  if (typeof type !== "string") return undefined;
  const match = DECIMAL.exec(type);
  return match ? { precision: Number(match[1]), scale: Number(match[2]) } : undefined;
}

/** Every type name used anywhere in a type (to detect e.g. timestamp_ntz in nested fields). */
export function primitiveTypesIn(type: DeltaType): string[] {
  if (typeof type === "string") return [type];
  if (type.type === "array") return primitiveTypesIn(type.elementType);
  if (type.type === "map") return [...primitiveTypesIn(type.keyType), ...primitiveTypesIn(type.valueType)];
  return type.fields.flatMap((field) => primitiveTypesIn(field.type));
}

/**
 * The polars dtype a Delta type is read as. Timestamps are UTC microseconds (the protocol's unit).
 * `binary` is read as a lower-case hex string: nodejs-polars 0.25.2 cannot expose a Binary column
 * to JS at all ("DataType Binary is not supported for JS conversion"), so a frame holding one
 * could not even report its schema. Maps are lists of {key, value} structs, as Arrow/polars do.
 */
export function polarsTypeFor(type: DeltaType): pl.DataType {
  if (typeof type !== "string") {
    if (type.type === "array") return pl.List(polarsTypeFor(type.elementType));
    if (type.type === "map") {
      return pl.List(
        pl.Struct([
          new pl.Field("key", polarsTypeFor(type.keyType)),
          new pl.Field("value", polarsTypeFor(type.valueType)),
        ]),
      );
    }
    return pl.Struct(type.fields.map((field) => new pl.Field(field.name, polarsTypeFor(field.type))));
  }
  const decimal = decimalParts(type);
  if (decimal) return pl.Decimal(decimal.precision, decimal.scale);
  const found = PRIMITIVE_TO_POLARS[type];
  if (found === undefined) {
    throw new StrataError(
      "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
      `Delta type ${quote(type)} cannot be read.`,
      {
        type,
      },
    );
  }
  return found;
}

const PRIMITIVE_TO_POLARS: Readonly<Record<string, pl.DataType>> = {
  byte: pl.Int8,
  short: pl.Int16,
  integer: pl.Int32,
  long: pl.Int64,
  float: pl.Float32,
  double: pl.Float64,
  boolean: pl.Bool,
  string: pl.Utf8,
  binary: pl.Utf8,
  date: pl.Date,
  timestamp: pl.Datetime("us", "UTC"),
  timestamp_ntz: pl.Datetime("us"),
  void: pl.Null,
};

const POLARS_TO_PRIMITIVE: Readonly<Partial<Record<string, string>>> = {
  Int8: "byte",
  Int16: "short",
  UInt8: "short",
  Int32: "integer",
  UInt16: "integer",
  Int64: "long",
  UInt32: "long",
  Float32: "float",
  Float64: "double",
  Bool: "boolean",
  Utf8: "string",
  String: "string",
  Categorical: "string",
  // An all-null column has no type of its own; Spark infers string for NULL literals.
  Null: "string",
  Date: "date",
};

/** The Delta type for a polars dtype (used when a table is created from a frame). */
export function deltaTypeFor(dtype: pl.DataType, column: string): DeltaType {
  const primitive = POLARS_TO_PRIMITIVE[dtype.variant];
  if (primitive !== undefined) return primitive;
  if (dtype.variant === "Datetime") {
    // A zone-less polars datetime would be timestamp_ntz, a reader+writer feature most engines refuse;
    // Strata always stores instants, so every datetime becomes a UTC `timestamp`.
    return "timestamp";
  }
  if (dtype instanceof Decimal) {
    const [precision, scale] = dtype.inner;
    return `decimal(${precision ?? 38},${scale ?? 0})`;
  }
  if (dtype instanceof List) {
    const inner = dtype.inner[0];
    if (inner !== undefined)
      return { type: "array", elementType: deltaTypeFor(inner, column), containsNull: true };
  }
  if (dtype instanceof Struct) {
    return {
      type: "struct",
      fields: dtype.inner.map((field) => ({
        name: field.name,
        type: deltaTypeFor(field.dtype, `${column}.${field.name}`),
        nullable: true,
        metadata: {},
      })),
    };
  }
  throw new StrataError(
    "STRATA_ERR_DELTA_TYPE_CHANGE",
    `column ${quote(column)} has polars type ${quote(String(dtype))}, which has no Delta equivalent.`,
    { column, dtype: String(dtype) },
  );
}

/** A Delta schema for a polars frame's schema (every column nullable, as Spark creates them). */
export function schemaFromPolars(columns: Readonly<Record<string, pl.DataType>>): DeltaSchema {
  return {
    type: "struct",
    fields: Object.entries(columns).map(([name, dtype]) => ({
      name,
      type: deltaTypeFor(dtype, name),
      nullable: true,
      metadata: {},
    })),
  };
}
