import pl from "nodejs-polars";
import { describe, expect, it } from "vitest";
import { StrataError } from "../../engine/errors.ts";
import { deltaTypeFor, parseSchema, polarsTypeFor, schemaFromPolars, serialiseSchema } from "./schema.ts";

const SCHEMA = JSON.stringify({
  type: "struct",
  fields: [
    { name: "id", type: "long", nullable: false, metadata: {} },
    { name: "amount", type: "decimal(10,2)", nullable: true, metadata: { comment: "EUR" } },
    {
      name: "tags",
      type: { type: "array", elementType: "string", containsNull: true },
      nullable: true,
      metadata: {},
    },
    {
      name: "attrs",
      type: { type: "map", keyType: "string", valueType: "integer", valueContainsNull: true },
      nullable: true,
      metadata: {},
    },
    {
      name: "address",
      type: { type: "struct", fields: [{ name: "city", type: "string", nullable: true, metadata: {} }] },
      nullable: true,
      metadata: {},
    },
    { name: "at", type: "timestamp", nullable: true, metadata: {} },
  ],
});

describe("Delta schema", () => {
  it("parses a schemaString and serialises it back to the same JSON", () => {
    const schema = parseSchema(SCHEMA);
    expect(schema.fields.map((field) => field.name)).toEqual([
      "id",
      "amount",
      "tags",
      "attrs",
      "address",
      "at",
    ]);
    expect(JSON.parse(serialiseSchema(schema))).toEqual(JSON.parse(SCHEMA));
  });

  it("maps Delta types to polars dtypes", () => {
    const schema = parseSchema(SCHEMA);
    const dtypes = schema.fields.map((field) => String(polarsTypeFor(field.type)));
    expect(dtypes[0]).toBe(String(pl.Int64));
    expect(dtypes[1]).toBe(String(pl.Decimal(10, 2)));
    expect(dtypes[2]).toBe(String(pl.List(pl.Utf8)));
    expect(dtypes[5]).toBe(String(pl.Datetime("us", "UTC")));
  });

  it("maps polars dtypes to Delta types (for the writer)", () => {
    expect(deltaTypeFor(pl.Int32, "a")).toBe("integer");
    expect(deltaTypeFor(pl.Datetime("ns"), "a")).toBe("timestamp");
    expect(deltaTypeFor(pl.Decimal(12, 3), "a")).toBe("decimal(12,3)");
    expect(deltaTypeFor(pl.List(pl.Float64), "a")).toEqual({
      type: "array",
      elementType: "double",
      containsNull: true,
    });
    const frame = pl.DataFrame({ name: ["x"], n: [1] });
    const schema = schemaFromPolars({ name: frame.getColumn("name").dtype, n: frame.getColumn("n").dtype });
    expect(schema.fields.map((field) => [field.name, field.type])).toEqual([
      ["name", "string"],
      ["n", "double"],
    ]);
  });

  it("refuses malformed schemas with a coded error quoting the value", () => {
    for (const bad of [
      "not json",
      '{"type":"array"}',
      '{"type":"struct","fields":[{"name":"a","type":"uuid"}]}',
    ]) {
      let thrown: unknown;
      try {
        parseSchema(bad);
      } catch (error) {
        thrown = error;
      }
      expect(StrataError.is(thrown, "STRATA_ERR_DELTA_CORRUPT_LOG"), bad).toBe(true);
    }
  });
});
