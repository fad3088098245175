/**
 * Which tables Strata can read (PROTOCOL.md "Reader Version Requirements" and "Table Features").
 * Reader version 1; version 2 only while column mapping is off; version 3 when every listed reader
 * feature is one we implement or one that does not change reading. Everything else is refused with
 * a code naming the version or feature, because reading it as if it were plain Parquet would return
 * wrong rows (deleted rows reappear, renamed columns read as null, ntz values shift).
 */
import { quote, StrataError } from "../../engine/errors.ts";
import type { MetadataAction, ProtocolAction } from "./actions.ts";
import { type DeltaSchema, primitiveTypesIn } from "./schema.ts";

export const MAX_READER_VERSION = 3;

/**
 * Reader features accepted under reader version 3. `vacuumProtocolCheck` only restricts VACUUM;
 * `columnMapping` is accepted as a listed feature but refused below when a mapping mode is active.
 */
const SUPPORTED_READER_FEATURES = new Set(["vacuumProtocolCheck", "columnMapping"]);

function unsupported(feature: string, table: string, why: string): StrataError {
  return new StrataError(
    "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
    `table ${quote(table)} uses the Delta reader feature ${quote(feature)} (${why}), which Strata does not implement.`,
    { table, feature },
  );
}

export function checkReadable(
  table: string,
  protocol: ProtocolAction,
  metadata: MetadataAction,
  schema: DeltaSchema,
): void {
  const version = protocol.minReaderVersion;
  if (!Number.isInteger(version) || version < 1 || version > MAX_READER_VERSION) {
    throw new StrataError(
      "STRATA_ERR_DELTA_UNSUPPORTED_PROTOCOL",
      `table ${quote(table)} requires Delta reader version ${quote(version)}; Strata reads versions 1 to ${MAX_READER_VERSION}.`,
      { table, minReaderVersion: version },
    );
  }
  if (version === 3) {
    for (const feature of protocol.readerFeatures ?? []) {
      if (!SUPPORTED_READER_FEATURES.has(feature)) {
        throw unsupported(feature, table, "listed in protocol.readerFeatures");
      }
    }
  }
  if (metadata.format.provider.toLowerCase() !== "parquet") {
    throw unsupported(
      "format",
      table,
      `data files in format ${quote(metadata.format.provider)}; Delta requires parquet`,
    );
  }
  const mode = metadata.configuration["delta.columnMapping.mode"];
  if (mode !== undefined && mode !== "none") {
    throw unsupported("columnMapping", table, `delta.columnMapping.mode = ${quote(mode)}`);
  }
  if (schema.fields.some((field) => primitiveTypesIn(field.type).includes("timestamp_ntz"))) {
    throw unsupported("timestampNtz", table, "a column has type timestamp_ntz");
  }
}
