/**
 * Delta Acceptance Testing (delta-incubator/dat) reader cases: each version's rows must equal the
 * Spark-written `expected/<version>/table_content.parquet`, and the protocol and properties must
 * equal `table_version_metadata.json` (the DAT procedure, rows compared order-insensitively).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { frameRows } from "./conformance-rows.ts";
import { isRecord } from "./log-actions.ts";
import { readDataFile } from "./parquet-file.ts";
import { readTable } from "./read-table.ts";
import { loadSnapshot } from "./snapshot.ts";
import { corpusStore } from "./testing/corpus-store.ts";

const DAT = fileURLToPath(new URL("../../../shared/delta-conformance/dat/", import.meta.url));
const store = corpusStore("dat"); // in place, or on S3 in conformance-s3.int.test.ts
const CASES = ["basic_append", "basic_partitioned", "multi_partitioned", "with_schema_change"];

describe("DAT reader acceptance", () => {
  for (const name of CASES) {
    const expectedDir = `${DAT}${name}/expected`;
    const versions = existsSync(expectedDir) ? readdirSync(expectedDir).sort() : [];
    it(`${name} has expected versions`, () => {
      expect(versions.length).toBeGreaterThan(1);
    });
    for (const label of versions) {
      it(`${name} ${label}`, async () => {
        const metadata: unknown = JSON.parse(
          readFileSync(`${expectedDir}/${label}/table_version_metadata.json`, "utf8"),
        );
        if (!isRecord(metadata) || typeof metadata.version !== "number")
          throw new Error(`bad metadata for ${label}`);
        const version = label === "latest" ? undefined : Number(label.slice(1));
        const snapshot = await loadSnapshot(store, `${name}/delta`, version === undefined ? {} : { version });
        expect(snapshot.version).toBe(metadata.version);
        expect(snapshot.protocol.minReaderVersion).toBe(metadata.min_reader_version);
        expect(snapshot.protocol.minWriterVersion).toBe(metadata.min_writer_version);
        expect(snapshot.properties).toEqual(metadata.properties);
        const actual = await readTable(store, `${name}/delta`, snapshot);
        const fields = snapshot.schema.fields;
        const expected = await readDataFile(store, `${name}/expected/${label}/table_content.parquet`, {
          binary: fields.filter((field) => field.type === "binary").map((field) => field.name),
          timestamp: fields.filter((field) => field.type === "timestamp").map((field) => field.name),
        });
        expect(actual.height).toBeGreaterThan(0);
        expect(frameRows(actual, snapshot.schema)).toEqual(frameRows(expected, snapshot.schema));
      });
    }
  }
});
