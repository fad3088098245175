/**
 * Reader behaviour beyond the per-version corpus check: timestamp time travel (file mtimes and
 * in-commit timestamps), `_last_checkpoint` as a mere hint, incomplete multi-part checkpoints,
 * history, stores without local paths, active files for DuckDB, and the coded errors.
 */
import {
  chmod,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  rename,
  rm,
  stat,
  unlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pl from "nodejs-polars";
import { afterAll, describe, expect, it } from "vitest";
import { type ErrorCode, StrataError } from "../../engine/errors.ts";
import { LocalObjectStore } from "../object-store/local-object-store.ts";
import type { ListOptions, ObjectInfo } from "../object-store/object-store.ts";
import { clearCheckpointCache } from "./checkpoint-reader.ts";
import { DeltaTable } from "./delta-table.ts";
import { sqlString, withDuckDb } from "./duckdb-parquet.ts";
import { countFromStats } from "./file-stats.ts";
import { readHistory } from "./history.ts";
import { probeLog } from "./log-listing.ts";
import { activeFiles, readTable } from "./read-table.ts";
import { latestVersion, loadSnapshot } from "./snapshot.ts";
import { RemoteLikeStore } from "./testing/remote-like-store.ts";

const CORPUS = fileURLToPath(new URL("../../../shared/delta-conformance/", import.meta.url));
const corpus = new LocalObjectStore(CORPUS);
const temporaryDirectories: string[] = [];

afterAll(async () => {
  for (const directory of temporaryDirectories) await rm(directory, { recursive: true, force: true });
});

async function makeWritable(path: string): Promise<void> {
  const info = await stat(path);
  await chmod(path, info.isDirectory() ? 0o755 : 0o644);
  if (info.isDirectory()) for (const entry of await readdir(path)) await makeWritable(join(path, entry));
}

/** A writable copy of a corpus table in a temporary store (the corpus itself is read-only). */
async function copyTable(name: string): Promise<{ store: LocalObjectStore; log: string }> {
  const directory = await mkdtemp(join(tmpdir(), "strata-delta-test-"));
  temporaryDirectories.push(directory);
  await cp(join(CORPUS, name), join(directory, "table"), { recursive: true });
  await makeWritable(join(directory, "table"));
  return { store: new LocalObjectStore(directory), log: join(directory, "table", "_delta_log") };
}

async function setCommitTimes(log: string, times: readonly number[]): Promise<void> {
  for (const [version, time] of times.entries()) {
    await utimes(join(log, `${String(version).padStart(20, "0")}.json`), time / 1000, time / 1000);
  }
}

async function codeOf(promise: Promise<unknown>): Promise<ErrorCode | string> {
  try {
    await promise;
    return "no error";
  } catch (error) {
    return StrataError.is(error) ? error.code : String(error);
  }
}

/** The same files, as a remote store would expose them (no local paths). */
const remoteLike = (inner: LocalObjectStore): RemoteLikeStore =>
  new RemoteLikeStore(inner, "s3://bucket/lake");

/** A local store that counts listings (a probed log load lists nothing). */
class ListCountingStore extends LocalObjectStore {
  lists = 0;
  constructor(inner: LocalObjectStore) {
    super(inner.localPath("") ?? "");
  }
  override list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo> {
    this.lists++;
    return super.list(prefix, options);
  }
}

describe("time travel by timestamp", () => {
  const START = 1540415658000; // time-travel-start-start20-start40: commits 20 minutes apart
  const TIMES = [START, START + 20 * 60_000, START + 40 * 60_000];

  it("uses the commit files' modification times", async () => {
    const { store, log } = await copyTable("delta-golden/time-travel-start-start20-start40");
    await setCommitTimes(log, TIMES);
    const at = async (timestamp: number | Date | string) =>
      (await loadSnapshot(store, "table", { timestamp })).version;
    expect(await at(START)).toBe(0);
    expect(await at(START + 20 * 60_000 - 1)).toBe(0);
    expect(await at(new Date(START + 20 * 60_000))).toBe(1);
    expect(await at(new Date(START + 40 * 60_000).toISOString())).toBe(2);
    expect(await at(START + 86_400_000)).toBe(2); // after the newest commit: the newest version
    const snapshot = await loadSnapshot(store, "table", { timestamp: START + 25 * 60_000 });
    expect(snapshot.timestamp).toBe(TIMES[1]);
    expect((await readTable(store, "table", snapshot)).height).toBe(20);
  });

  it("refuses a timestamp before the first commit and an unparsable one", async () => {
    const { store, log } = await copyTable("delta-golden/time-travel-start-start20-start40");
    await setCommitTimes(log, TIMES);
    expect(await codeOf(loadSnapshot(store, "table", { timestamp: START - 1 }))).toBe(
      "STRATA_ERR_DELTA_VERSION_NOT_FOUND",
    );
    expect(await codeOf(loadSnapshot(store, "table", { timestamp: "yesterday-ish" }))).toBe(
      "STRATA_ERR_INVALID_OPTION",
    );
  });

  it("matches delta-rs' time_travel_by_ds expectations on simple_table", async () => {
    const { store, log } = await copyTable("delta-rs/simple_table");
    const days = [1, 2, 3, 4, 5].map((day) => Date.parse(`2020-05-0${day}T22:47:31-07:00`));
    await setCommitTimes(log, days);
    expect((await loadSnapshot(store, "table", { timestamp: "2020-05-02T23:47:31-07:00" })).version).toBe(1);
    expect((await loadSnapshot(store, "table", { timestamp: "2020-05-25T22:47:31-07:00" })).version).toBe(4);
  });

  it("monotonises file times that go backwards", async () => {
    const { store, log } = await copyTable("delta-golden/time-travel-start-start20-start40");
    await setCommitTimes(log, [START, START - 60_000, START + 60_000]); // v1 "before" v0
    expect((await loadSnapshot(store, "table", { timestamp: START })).version).toBe(0);
    expect((await loadSnapshot(store, "table", { timestamp: START + 1 })).version).toBe(1);
  });

  it("uses commitInfo.inCommitTimestamp when in-commit timestamps are on", async () => {
    const directory = await mkdtemp(join(tmpdir(), "strata-delta-ict-"));
    temporaryDirectories.push(directory);
    await mkdir(join(directory, "t", "_delta_log"), { recursive: true });
    const schema = JSON.stringify({
      type: "struct",
      fields: [{ name: "id", type: "long", nullable: true, metadata: {} }],
    });
    const lines = (ict: number, extra: unknown[]) =>
      [{ commitInfo: { inCommitTimestamp: ict, operation: "WRITE" } }, ...extra]
        .map((a) => JSON.stringify(a))
        .join("\n");
    await writeFile(
      join(directory, "t", "_delta_log", "00000000000000000000.json"),
      lines(1_000, [
        { protocol: { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ["inCommitTimestamp"] } },
        {
          metaData: {
            id: "x",
            format: { provider: "parquet", options: {} },
            schemaString: schema,
            partitionColumns: [],
            configuration: { "delta.enableInCommitTimestamps": "true" },
          },
        },
      ]),
    );
    await writeFile(join(directory, "t", "_delta_log", "00000000000000000001.json"), lines(2_000, []));
    const store = new LocalObjectStore(directory);
    expect((await loadSnapshot(store, "t", { timestamp: 1_500 })).version).toBe(0);
    expect((await loadSnapshot(store, "t", { timestamp: 2_000 })).version).toBe(1);
    const latest = await loadSnapshot(store, "t");
    expect(latest.timestamp).toBe(2_000);
    const empty = await readTable(store, "t", latest);
    expect(empty.height).toBe(0);
    expect(empty.columns).toEqual(["id"]);
    expect((await readHistory(store, "t")).map((entry) => [entry.version, entry.timestamp])).toEqual([
      [1, 2_000],
      [0, 1_000],
    ]);
  });
});

describe("checkpoints and _last_checkpoint", () => {
  for (const [label, content] of [
    ["empty", ""],
    ["corrupt", "{not json"],
    ["pointing past the log", '{"version":99,"size":3}'],
    ["stale", '{"version":5,"size":3}'],
  ] as const) {
    it(`falls back to listing when _last_checkpoint is ${label}`, async () => {
      const { store, log } = await copyTable("delta-rs/simple_table_with_checkpoint");
      await writeFile(join(log, "_last_checkpoint"), content);
      const snapshot = await loadSnapshot(store, "table");
      expect(snapshot.version).toBe(10);
      expect(snapshot.checkpointVersion).toBe(10);
      expect((await readTable(store, "table", snapshot)).height).toBe(11);
    });
  }

  it("ignores everything in _delta_log that is not a commit or classic checkpoint file name", async () => {
    const { store, log } = await copyTable("dat/basic_append/delta");
    await mkdir(join(log, "_sidecars"), { recursive: true });
    await mkdir(join(log, ".tmp"), { recursive: true });
    for (const junk of [
      "00000000000000000001.crc",
      "00000000000000000000.00000000000000000001.compacted.json",
      "00000000000000000007.json.bak",
      "7.json",
      "_sidecars/00000000000000000009.json",
      ".tmp/00000000000000000002.json",
    ]) {
      await writeFile(join(log, junk), "{not a commit");
    }
    expect(await latestVersion(store, "table")).toBe(1);
    expect((await readTable(store, "table", await loadSnapshot(store, "table"))).height).toBe(5);
  });

  it("ignores a multi-part checkpoint with a missing part and replays the commits", async () => {
    const { store, log } = await copyTable("delta-golden/multi-part-checkpoint");
    await unlink(join(log, "00000000000000000001.checkpoint.0000000002.0000000002.parquet"));
    const snapshot = await loadSnapshot(store, "table");
    expect(snapshot.checkpointVersion).toBeUndefined();
    expect((await readTable(store, "table", snapshot)).height).toBe(31);
  });

  it("in a local folder, probes a long log from _last_checkpoint and finds what listing finds, a newer checkpoint too", async () => {
    const directory = await mkdtemp(join(tmpdir(), "strata-delta-probe-"));
    temporaryDirectories.push(directory);
    const store = new LocalObjectStore(directory);
    const table = DeltaTable.forPath(store, "t");
    await table.create({
      schema: pl.DataFrame({ id: ["a"] }),
      properties: { "delta.checkpointInterval": "10" },
    });
    for (let i = 1; i <= 23; i++) await table.append(pl.DataFrame({ id: [`r${i}`] }));
    // The same log 1,000 versions on (as if versions 0-999 had been cleaned up): long enough to probe.
    const log = join(directory, "t/_delta_log");
    for (const name of await readdir(log)) {
      const match = /^(\d{20})(\..*)$/.exec(name);
      if (match)
        await rename(
          join(log, name),
          join(log, `${String(Number(match[1]) + 1000).padStart(20, "0")}${match[2]}`),
        );
    }
    const listed = await loadSnapshot(remoteLike(store), "t");
    expect([listed.version, listed.checkpointVersion]).toEqual([1023, 1020]);
    // A crash between writing checkpoint 1020 and updating the hint leaves it at 1010.
    await writeFile(join(log, "_last_checkpoint"), '{"version":1010,"size":12}');
    const counting = new ListCountingStore(store);
    const probed = await loadSnapshot(counting, "t");
    expect(counting.lists).toBe(0);
    expect([probed.version, probed.checkpointVersion]).toEqual([1023, 1020]);
    expect(probed.files).toEqual(listed.files);
    const older = await loadSnapshot(counting, "t", { version: 1015 });
    expect([older.version, older.checkpointVersion, older.files.length]).toEqual([1015, 1010, 15]);
    expect(counting.lists).toBe(0);
    const fromHint = await probeLog(store, "t", { version: 1010, parts: undefined });
    expect([...(fromHint?.checkpoints.keys() ?? [])]).toEqual([1010, 1020]);
    expect([...(fromHint?.commits.keys() ?? [])]).toEqual(Array.from({ length: 14 }, (_, i) => 1010 + i));
    // A hint naming a checkpoint that is not there: no probed listing (the caller lists).
    expect(await probeLog(store, "t", { version: 1020, parts: 2 })).toBeUndefined();
    expect((await loadSnapshot(counting, "t", { version: 1020 })).version).toBe(1020);
  });

  it("decodes a local checkpoint's file actions only when files are first asked for", async () => {
    clearCheckpointCache();
    const { store, log } = await copyTable("delta-rs/simple_table_with_checkpoint");
    const snapshot = await loadSnapshot(store, "table");
    await unlink(join(log, "00000000000000000010.checkpoint.parquet"));
    expect([snapshot.version, snapshot.protocol.minReaderVersion, snapshot.schema.fields.length]).toEqual([
      10, 1, 1,
    ]);
    expect(() => snapshot.files).toThrow(/STRATA_ERR_DELTA_CORRUPT_LOG.*load the table again/);
    // Through a store without local paths, everything is decoded when the table is opened.
    clearCheckpointCache();
    const again = await copyTable("delta-rs/simple_table_with_checkpoint");
    const remote = await loadSnapshot(remoteLike(again.store), "table");
    await unlink(join(again.log, "00000000000000000010.checkpoint.parquet"));
    expect(remote.files.length).toBeGreaterThan(0);
  });

  it("reads checkpoints and data through get() when the store has no local paths", async () => {
    const remote = remoteLike(corpus);
    const snapshot = await loadSnapshot(remote, "delta-rs/simple_table_with_checkpoint");
    expect(snapshot.checkpointVersion).toBe(10);
    expect((await readTable(remote, "delta-rs/simple_table_with_checkpoint", snapshot)).height).toBe(11);
    // INT96 (year 9999) and binary columns go through DuckDB from a temporary copy.
    const edge = await loadSnapshot(remote, "delta-rs/table_with_edge_timestamps");
    expect((await readTable(remote, "delta-rs/table_with_edge_timestamps", edge)).height).toBe(2);
    expect(activeFiles(remote, edge).every((file) => file.localPath === undefined)).toBe(true);
  });

  it("takes stats from stats_parsed when a checkpoint has no JSON stats", async () => {
    const snapshot = await loadSnapshot(corpus, "delta-rs/delta-1.2.1-only-struct-stats");
    expect(snapshot.checkpointVersion).toBe(10);
    const frame = await readTable(corpus, "delta-rs/delta-1.2.1-only-struct-stats", snapshot);
    expect(countFromStats(snapshot.files)).toBe(frame.height);
  });
});

describe("history, listing and active files", () => {
  it("lists commits newest first with their operations, ignoring _delta_log/.tmp", async () => {
    expect(await latestVersion(corpus, "delta-rs/simple_table")).toBe(4);
    const history = await readHistory(corpus, "delta-rs/simple_table");
    expect(history.map((entry) => [entry.version, entry.operation])).toEqual([
      [4, "DELETE"],
      [3, "UPDATE"],
      [2, "WRITE"],
      [1, "MERGE"],
      [0, "WRITE"],
    ]);
    expect((await readHistory(corpus, "delta-rs/simple_table", { limit: 2 })).map((e) => e.version)).toEqual([
      4, 3,
    ]);
    expect(history[3]?.commitInfoTimestamp).toBe(1587968596254);
    expect(history[3]?.operationParameters).toEqual({ predicate: "(oldData.`id` = newData.`id`)" });
    // delta-rs reference: a log cleaned up to checkpoint 5 still lists its 8 remaining commits.
    const vacuumed = await readHistory(corpus, "delta-rs/checkpoints_vacuumed", { limit: 10 });
    expect(vacuumed.map((entry) => entry.version)).toEqual([12, 11, 10, 9, 8, 7, 6, 5]);
  });

  it("gives object keys decoded once (Hive escapes kept) that DuckDB reads directly", async () => {
    const root = "dat/multi_partitioned/delta";
    const snapshot = await loadSnapshot(corpus, root);
    const files = activeFiles(corpus, snapshot);
    expect(files.map((file) => file.key)).toContain(
      `${root}/letter=%2F%2520%25f/date=1970-01-01/data=hello/part-00000-f5ab05c8-c8ba-4a27-9935-d13c65cbd345.c000.snappy.parquet`,
    );
    const paths = files.map((file) => file.localPath ?? "");
    const result = await withDuckDb((connection) =>
      connection.runAndReadAll(
        `SELECT count(*)::INTEGER AS n FROM read_parquet([${paths.map(sqlString).join(", ")}])`,
      ),
    );
    expect(result.getRowObjectsJS()[0]?.n).toBe(2);
  });
});

describe("concurrent reads", () => {
  it("loads tables needing DuckDB (checkpoints, INT96, binary) concurrently", async () => {
    const roots = [
      "delta-rs/simple_table_with_checkpoint",
      "delta-rs/table_with_edge_timestamps",
      "delta-golden/data-reader-primitives",
      "delta-golden/multi-part-checkpoint",
    ];
    const heights = await Promise.all(
      roots.map(async (root) => (await readTable(corpus, root, await loadSnapshot(corpus, root))).height),
    );
    expect(heights).toEqual([11, 2, 11, 31]);
  });
});

describe("coded errors", () => {
  it("reports a missing table, a missing version and bad options", async () => {
    expect(await codeOf(loadSnapshot(corpus, "no/such/table"))).toBe("STRATA_ERR_DELTA_NOT_A_TABLE");
    expect(await codeOf(latestVersion(corpus, "no/such/table"))).toBe("STRATA_ERR_DELTA_NOT_A_TABLE");
    expect(await codeOf(loadSnapshot(corpus, "dat/basic_append/delta", { version: 7 }))).toBe(
      "STRATA_ERR_DELTA_VERSION_NOT_FOUND",
    );
    expect(await codeOf(loadSnapshot(corpus, "dat/basic_append/delta", { version: -1 }))).toBe(
      "STRATA_ERR_INVALID_OPTION",
    );
    expect(await codeOf(loadSnapshot(corpus, "dat/basic_append/delta", { version: 0, timestamp: 0 }))).toBe(
      "STRATA_ERR_INVALID_OPTION",
    );
    expect(await codeOf(loadSnapshot(corpus, "delta-rs/checkpoints_vacuumed", { version: 4 }))).toBe(
      "STRATA_ERR_DELTA_VERSION_NOT_FOUND",
    );
  });

  it("quotes the corrupt commit line", async () => {
    const { store, log } = await copyTable("dat/basic_append/delta");
    await writeFile(join(log, "00000000000000000002.json"), '{"add": {"path": 12}}\n');
    const error = await loadSnapshot(store, "table").catch((thrown: unknown) => thrown);
    expect(StrataError.is(error, "STRATA_ERR_DELTA_CORRUPT_LOG")).toBe(true);
    expect(String(error)).toContain("00000000000000000002.json line 1");
  });
});
