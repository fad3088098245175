/**
 * Classic single-file checkpoints (`<v>.checkpoint.parquet` + `_last_checkpoint`) in the schema
 * Spark writes: one action per row, each action a nullable struct column, and partitionValues /
 * configuration / tags / format.options as Parquet MAP<string,string>. polars cannot write MAP
 * columns, DuckDB can: rows go in as NDJSON and are cast to the exact struct types on the way out.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { ObjectStore } from "../object-store/object-store.ts";
import type { AddAction, MetadataAction, ProtocolAction, RemoveAction, TxnAction } from "./actions.ts";
import { logKey } from "./commit.ts";

const MAP = "MAP(VARCHAR, VARCHAR)";
const CHECKPOINT_COLUMNS: Readonly<Record<string, string>> = {
  txn: "STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)",
  add: `STRUCT(path VARCHAR, partitionValues ${MAP}, size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags ${MAP})`,
  remove: `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues ${MAP}, size BIGINT)`,
  metaData: `STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options ${MAP}), schemaString VARCHAR, partitionColumns VARCHAR[], configuration ${MAP}, createdTime BIGINT)`,
  protocol:
    "STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])",
};

/** The reconciled table state at one version: what a checkpoint must hold. */
export interface CheckpointState {
  readonly version: number;
  readonly protocol: ProtocolAction;
  readonly metadata: MetadataAction;
  readonly files: readonly AddAction[];
  /** Tombstones still inside the deleted-file retention (expired ones are left out). */
  readonly tombstones: readonly RemoveAction[];
  readonly txns: readonly TxnAction[];
}

export interface CheckpointInfo {
  readonly version: number;
  /** Number of actions (rows) in the checkpoint, as `_last_checkpoint.size` means. */
  readonly size: number;
  readonly sizeInBytes: number;
  readonly numOfAddFiles: number;
}

let duckdb: Promise<DuckDBInstance> | undefined;

/** One in-memory DuckDB per process; checkpoints are rare, so its start-up is paid once. */
function database(): Promise<DuckDBInstance> {
  duckdb ??= DuckDBInstance.create(":memory:", { threads: "1" });
  return duckdb;
}

export function checkpointFileName(version: number): string {
  return `${String(version).padStart(20, "0")}.checkpoint.parquet`;
}

function checkpointRows(state: CheckpointState): unknown[] {
  const protocol: ProtocolAction = {
    minReaderVersion: state.protocol.minReaderVersion,
    minWriterVersion: state.protocol.minWriterVersion,
    // Features are required for reader 3 / writer 7 and must be absent otherwise (delta-rs#2288).
    ...(state.protocol.minReaderVersion === 3 ? { readerFeatures: state.protocol.readerFeatures ?? [] } : {}),
    ...(state.protocol.minWriterVersion === 7 ? { writerFeatures: state.protocol.writerFeatures ?? [] } : {}),
  };
  return [
    { protocol },
    {
      metaData: {
        id: state.metadata.id,
        name: state.metadata.name ?? null,
        description: state.metadata.description ?? null,
        format: state.metadata.format,
        schemaString: state.metadata.schemaString,
        partitionColumns: state.metadata.partitionColumns,
        configuration: state.metadata.configuration,
        createdTime: state.metadata.createdTime ?? null,
      },
    },
    ...state.txns.map((txn) => ({ txn })),
    ...state.files.map((add) => ({
      add: {
        path: add.path,
        partitionValues: add.partitionValues,
        size: add.size,
        modificationTime: add.modificationTime,
        dataChange: add.dataChange,
        stats: add.stats ?? null,
        tags: add.tags ?? null,
      },
    })),
    ...state.tombstones.map((remove) => ({
      remove: {
        path: remove.path,
        deletionTimestamp: remove.deletionTimestamp ?? null,
        dataChange: remove.dataChange,
        extendedFileMetadata: remove.extendedFileMetadata ?? false,
        partitionValues: remove.partitionValues ?? null,
        size: remove.size ?? null,
      },
    })),
  ];
}

async function lastCheckpointVersion(store: ObjectStore, root: string): Promise<number> {
  const bytes = await store.getIfExists(logKey(root, "_last_checkpoint"));
  if (bytes === undefined) return -1;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "version" in parsed &&
      typeof parsed.version === "number"
    ) {
      return parsed.version;
    }
  } catch {
    // a corrupt pointer is replaced
  }
  return -1;
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Write the checkpoint for `state.version`, then `_last_checkpoint` (in that order: a crash between
 * the two leaves a stale pointer, which readers tolerate by listing past it). The commit file for
 * that version must already exist.
 */
export async function writeCheckpoint(
  store: ObjectStore,
  root: string,
  state: CheckpointState,
): Promise<CheckpointInfo> {
  const rows = checkpointRows(state);
  const directory = await mkdtemp(join(tmpdir(), "strata-checkpoint-"));
  try {
    const input = join(directory, "actions.json");
    const output = join(directory, `${randomUUID()}.parquet`);
    await writeFile(input, rows.map((row) => JSON.stringify(row)).join("\n"));
    const columns = `{${Object.entries(CHECKPOINT_COLUMNS)
      .map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`)
      .join(", ")}}`;
    const connection = await (await database()).connect();
    try {
      await connection.run(
        `COPY (SELECT * FROM read_json(${sqlString(input)}, format = 'newline_delimited', columns = ${columns})) ` +
          `TO ${sqlString(output)} (FORMAT parquet, COMPRESSION snappy)`,
      );
    } finally {
      connection.closeSync();
    }
    const body = new Uint8Array(await readFile(output));
    await store.put(logKey(root, checkpointFileName(state.version)), body);
    const info: CheckpointInfo = {
      version: state.version,
      size: rows.length,
      sizeInBytes: body.byteLength,
      numOfAddFiles: state.files.length,
    };
    // A slower writer must not move the pointer back past a newer checkpoint (readers would still
    // be correct, listing past it, but would replay more commits than needed).
    if ((await lastCheckpointVersion(store, root)) < state.version) {
      await store.put(logKey(root, "_last_checkpoint"), new TextEncoder().encode(JSON.stringify(info)));
    }
    return info;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
