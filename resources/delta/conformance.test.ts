/**
 * The reader against the shared conformance corpus (65 tables written by Spark, Databricks,
 * delta-rs and Delta's own test generators): every version of every table reconstructs to
 * expected_results.json (live files, protocol, txns, row counts, rows), and every table that needs
 * a feature Strata does not implement is refused with the right code. Tables are read in place.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type ErrorCode, StrataError } from "../../engine/errors.ts";
import { expectedRows, frameRows } from "./conformance-rows.ts";
import { isRecord } from "./log-actions.ts";
import { decodeLogPath } from "./partition-values.ts";
import { readTable } from "./read-table.ts";
import { loadSnapshot } from "./snapshot.ts";
import { corpusStore } from "./testing/corpus-store.ts";

const CORPUS = fileURLToPath(new URL("../../../shared/delta-conformance/", import.meta.url));
const store = corpusStore(); // the corpus in place, or on S3 in conformance-s3.int.test.ts

interface VersionExpectation {
  readonly numFiles?: number;
  readonly numRows?: number;
  readonly protocol?: readonly number[];
  readonly txns?: Readonly<Record<string, unknown>>;
  readonly error?: string;
  readonly dataError?: string;
  readonly checkpointUsed?: readonly unknown[];
}
interface LatestExpectation extends VersionExpectation {
  readonly version?: number;
  readonly numTombstones?: number;
  readonly livePaths?: readonly string[];
  readonly rows?: readonly string[];
  readonly schemaNames?: readonly string[];
  readonly partitionColumns?: readonly string[];
}
interface TableExpectation {
  readonly perVersion: Readonly<Record<string, VersionExpectation>>;
  readonly latest: LatestExpectation;
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value)
    ? value.filter((entry): entry is string => typeof entry === "string")
    : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  const out: { [P in K]?: V } = {};
  if (value !== undefined) out[key] = value;
  return out;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function versionExpectation(value: Record<string, unknown>): VersionExpectation {
  return {
    ...optional("numFiles", num(value.numFiles)),
    ...optional("numRows", num(value.numRows)),
    ...optional(
      "protocol",
      Array.isArray(value.protocol) ? value.protocol.filter((v) => typeof v === "number") : undefined,
    ),
    ...optional("txns", isRecord(value.txns) ? value.txns : undefined),
    ...optional("error", str(value.error)),
    ...optional("dataError", str(value.dataError)),
    ...optional("checkpointUsed", Array.isArray(value.checkpointUsed) ? value.checkpointUsed : undefined),
  };
}

function latestExpectation(value: Record<string, unknown>): LatestExpectation {
  const protocol = isRecord(value.protocol)
    ? [num(value.protocol.minReaderVersion), num(value.protocol.minWriterVersion)]
    : [];
  return {
    ...versionExpectation({ ...value, protocol: protocol.filter((v) => v !== undefined) }),
    ...optional("version", num(value.version)),
    ...optional("numTombstones", num(value.numTombstones)),
    ...optional("livePaths", strings(value.livePaths)),
    ...optional("rows", strings(value.rows)),
    ...optional(
      "schemaNames",
      Array.isArray(value.schema)
        ? value.schema.map((entry) => (Array.isArray(entry) ? String(entry[0]) : ""))
        : undefined,
    ),
    ...optional("partitionColumns", strings(value.partitionColumns)),
  };
}

function loadExpectations(): Record<string, TableExpectation> {
  const parsed: unknown = JSON.parse(readFileSync(`${CORPUS}expected_results.json`, "utf8"));
  if (!isRecord(parsed) || !isRecord(parsed.tables)) throw new Error("expected_results.json has no tables");
  const out: Record<string, TableExpectation> = {};
  for (const [name, value] of Object.entries(parsed.tables)) {
    if (!isRecord(value) || !isRecord(value.perVersion) || !isRecord(value.latest)) continue;
    const perVersion: Record<string, VersionExpectation> = {};
    for (const [version, entry] of Object.entries(value.perVersion)) {
      if (isRecord(entry)) perVersion[version] = versionExpectation(entry);
    }
    out[name] = { perVersion, latest: latestExpectation(value.latest) };
  }
  return out;
}

const tables = loadExpectations();

/** DAT tables and kernel-rs stats-writing-all-types keep the Delta table in a `delta/` subfolder. */
function rootOf(name: string): string {
  return existsSync(`${CORPUS}${name}/_delta_log`) ? name : `${name}/delta`;
}

/**
 * Tables (at versions whose reader protocol is above 1) that need a reader feature Strata does not
 * implement: they must be refused with this code, never read as plain Parquet (wrong rows).
 */
const REFUSED: Record<string, { code: ErrorCode; feature?: string }> = {
  "delta-golden/v2-checkpoint-json": {
    code: "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
    feature: "v2Checkpoint",
  },
  "delta-golden/v2-checkpoint-parquet": {
    code: "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
    feature: "v2Checkpoint",
  },
  "delta-golden/log-replay-dv-key-cases": {
    code: "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
    feature: "deletionVectors",
  },
  "delta-golden/table-with-columnmapping-mode-name": {
    code: "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
    feature: "columnMapping",
  },
  "delta-golden/data-reader-timestamp_ntz": {
    code: "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
    feature: "timestampNtz",
  },
  "delta-golden/deltalog-invalid-protocol-version": { code: "STRATA_ERR_DELTA_UNSUPPORTED_PROTOCOL" },
  "delta-rs/table-with-dv-small": {
    code: "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
    feature: "deletionVectors",
  },
  "delta-rs/table_with_column_mapping": {
    code: "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
    feature: "columnMapping",
  },
  "delta-rs/table_with_liquid_clustering": {
    code: "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE",
    feature: "deletionVectors",
  },
  // (3,7) with readerFeatures [columnMapping, timestampNtz] and columnMapping.mode = name.
  "delta-kernel-rs/stats-writing-all-types": { code: "STRATA_ERR_DELTA_UNSUPPORTED_FEATURE" },
};

/** Which code an expected log error ("error" in the corpus, from the Python replay) maps to. */
function errorCodeFor(table: string, version: string | undefined, message: string): ErrorCode {
  if (message.includes("missing delta versions") && table === "delta-rs/checkpoint_with_partitions") {
    return "STRATA_ERR_DELTA_VERSION_NOT_FOUND"; // 0.json was cleaned up: v1 is older than the log
  }
  if (version === undefined && message.includes("not contiguous")) return "STRATA_ERR_DELTA_CORRUPT_LOG";
  return "STRATA_ERR_DELTA_CORRUPT_LOG";
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode, feature?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(StrataError.is(error), `expected ${code}, got ${String(error)}`).toBe(true);
  if (!StrataError.is(error)) return;
  expect(error.code).toBe(code);
  if (feature !== undefined) expect(error.details.feature).toBe(feature);
}

function refusedAt(name: string, expectation: VersionExpectation): boolean {
  return REFUSED[name] !== undefined && (expectation.protocol?.[0] ?? 1) > 1;
}

describe("Delta conformance corpus", () => {
  it("covers every table in expected_results.json", () => {
    expect(Object.keys(tables)).toHaveLength(65);
  });

  for (const [name, table] of Object.entries(tables)) {
    describe(name, () => {
      const root = rootOf(name);
      for (const [versionText, expected] of Object.entries(table.perVersion)) {
        const version = Number(versionText);
        it(`version ${version}`, async () => {
          const refusal = REFUSED[name];
          if (refusal !== undefined && refusedAt(name, expected)) {
            await expectCode(loadSnapshot(store, root, { version }), refusal.code, refusal.feature);
            return;
          }
          if (expected.error !== undefined) {
            await expectCode(
              loadSnapshot(store, root, { version }),
              errorCodeFor(name, versionText, expected.error),
            );
            return;
          }
          const snapshot = await loadSnapshot(store, root, { version });
          expect(snapshot.version).toBe(version);
          expect(snapshot.files).toHaveLength(expected.numFiles ?? -1);
          if (expected.protocol) {
            expect([snapshot.protocol.minReaderVersion, snapshot.protocol.minWriterVersion]).toEqual([
              ...expected.protocol,
            ]);
          }
          for (const [appId, txnVersion] of Object.entries(expected.txns ?? {})) {
            expect(snapshot.txnVersion(appId)).toBe(txnVersion);
          }
          if (expected.checkpointUsed !== undefined) {
            expect(snapshot.checkpointVersion).toBe(expected.checkpointUsed[0]);
          }
          if (expected.dataError !== undefined) {
            await expectCode(readTable(store, root, snapshot), "STRATA_ERR_DELTA_DATA_FILE_MISSING");
          } else if (expected.numRows !== undefined) {
            expect((await readTable(store, root, snapshot)).height).toBe(expected.numRows);
          }
        });
      }

      it("latest version: files, tombstones, schema and rows", async () => {
        const expected = table.latest;
        const refusal = REFUSED[name];
        if (refusal !== undefined) {
          await expectCode(loadSnapshot(store, root), refusal.code, refusal.feature);
          return;
        }
        if (expected.error !== undefined) {
          await expectCode(loadSnapshot(store, root), errorCodeFor(name, undefined, expected.error));
          return;
        }
        const snapshot = await loadSnapshot(store, root);
        expect(snapshot.version).toBe(expected.version);
        expect(snapshot.files).toHaveLength(expected.numFiles ?? -1);
        expect(snapshot.tombstones).toHaveLength(expected.numTombstones ?? -1);
        const paths = snapshot.files.map((file) => decodeLogPath(file.path)).sort();
        const livePaths = [...(expected.livePaths ?? [])].sort();
        expect(paths.slice(0, livePaths.length)).toEqual(livePaths);
        if (expected.schemaNames) {
          expect(snapshot.schema.fields.map((field) => field.name)).toEqual(expected.schemaNames);
        }
        expect(snapshot.partitionColumns).toEqual(expected.partitionColumns ?? []);
        for (const [appId, txnVersion] of Object.entries(expected.txns ?? {})) {
          expect(snapshot.txnVersion(appId)).toBe(txnVersion);
        }
        if (expected.dataError !== undefined) {
          await expectCode(readTable(store, root, snapshot), "STRATA_ERR_DELTA_DATA_FILE_MISSING");
          return;
        }
        const frame = await readTable(store, root, snapshot);
        if (expected.numRows !== undefined) expect(frame.height).toBe(expected.numRows);
        if (expected.rows !== undefined) {
          expect(frameRows(frame, snapshot.schema)).toEqual(expectedRows(expected.rows, snapshot.schema));
        }
      });
    });
  }
});
