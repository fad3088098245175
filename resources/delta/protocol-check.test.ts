import { describe, expect, it } from "vitest";
import { StrataError } from "../../engine/errors.ts";
import type { MetadataAction, ProtocolAction } from "./actions.ts";
import { checkReadable } from "./protocol-check.ts";
import { parseSchema } from "./schema.ts";

const SCHEMA = '{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}';

function metadata(configuration: Record<string, string> = {}, schemaString = SCHEMA): MetadataAction {
  return {
    id: "t",
    format: { provider: "parquet", options: {} },
    schemaString,
    partitionColumns: [],
    configuration,
  };
}

function refusal(
  protocol: ProtocolAction,
  meta = metadata(),
): { code: string; feature: unknown } | undefined {
  try {
    checkReadable("t", protocol, meta, parseSchema(meta.schemaString));
    return undefined;
  } catch (error) {
    if (!StrataError.is(error)) throw error;
    return { code: error.code, feature: error.details.feature };
  }
}

describe("reader protocol check", () => {
  it("reads reader 1, reader 2 without column mapping, reader 3 with no or harmless features", () => {
    expect(refusal({ minReaderVersion: 1, minWriterVersion: 2 })).toBeUndefined();
    expect(refusal({ minReaderVersion: 2, minWriterVersion: 5 })).toBeUndefined();
    expect(
      refusal({ minReaderVersion: 2, minWriterVersion: 5 }, metadata({ "delta.columnMapping.mode": "none" })),
    ).toBeUndefined();
    expect(refusal({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [] })).toBeUndefined();
    expect(
      refusal({
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: ["vacuumProtocolCheck", "columnMapping"],
      }),
    ).toBeUndefined();
  });

  it("refuses reader versions it does not implement", () => {
    expect(refusal({ minReaderVersion: 4, minWriterVersion: 7 })?.code).toBe(
      "STRATA_ERR_DELTA_UNSUPPORTED_PROTOCOL",
    );
    expect(refusal({ minReaderVersion: 0, minWriterVersion: 2 })?.code).toBe(
      "STRATA_ERR_DELTA_UNSUPPORTED_PROTOCOL",
    );
  });

  it("refuses each unimplemented reader feature by name", () => {
    for (const feature of ["deletionVectors", "v2Checkpoint", "timestampNtz", "typeWidening", "blahabl"]) {
      expect(refusal({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [feature] })).toEqual({
        code: "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
        feature,
      });
    }
  });

  it("refuses active column mapping, timestamp_ntz columns and non-parquet data", () => {
    for (const mode of ["name", "id"]) {
      expect(
        refusal({ minReaderVersion: 2, minWriterVersion: 5 }, metadata({ "delta.columnMapping.mode": mode })),
      ).toEqual({ code: "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE", feature: "columnMapping" });
    }
    const ntz =
      '{"type":"struct","fields":[{"name":"t","type":"timestamp_ntz","nullable":true,"metadata":{}}]}';
    expect(refusal({ minReaderVersion: 1, minWriterVersion: 2 }, metadata({}, ntz))?.feature).toBe(
      "timestampNtz",
    );
    const orc: MetadataAction = { ...metadata(), format: { provider: "orc", options: {} } };
    expect(refusal({ minReaderVersion: 1, minWriterVersion: 2 }, orc)?.code).toBe(
      "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
    );
  });
});
