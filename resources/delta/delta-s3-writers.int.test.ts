/**
 * Delta on MinIO with other writers: four processes appending and merging one table at once (the
 * commit race is decided by S3's conditional PUT alone), and interop with delta-rs reading and
 * writing the same s3:// tables (delta-rs 1.x also commits with conditional PUT).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import pl from "nodejs-polars";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3ObjectStore } from "../object-store/s3-object-store.ts";
import { MINIO_START_TIMEOUT_MS, type MinioServer, startMinio } from "../object-store/testing/minio.ts";
import { DeltaTable } from "./delta-table.ts";
import { readTable } from "./read-table.ts";
import { loadSnapshot } from "./snapshot.ts";
import { canonicalRows, deltalake, ensurePython, readWithDeltaRs, sortedRows } from "./testing/deltalake.ts";

const writer = fileURLToPath(new URL("./testing/concurrent-writer.ts", import.meta.url));
let minio: MinioServer;

beforeAll(async () => {
  [minio] = await Promise.all([startMinio(), ensurePython()]);
  // delta-rs (object_store) takes its S3 connection from the environment of the tool process.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: minio.endpoint,
    AWS_ACCESS_KEY_ID: minio.env.STRATA_S3_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: minio.env.STRATA_S3_SECRET_ACCESS_KEY,
    AWS_REGION: minio.env.STRATA_S3_REGION,
    AWS_ALLOW_HTTP: "true",
  });
}, MINIO_START_TIMEOUT_MS);
afterAll(async () => {
  await minio?.stop();
});

function start(store: S3ObjectStore, worker: number, ops: number, mode: string): Promise<string> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", writer, "-", String(worker), String(ops), mode],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, STRATA_TEST_S3: JSON.stringify(store.settings) },
    },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  return new Promise<string>((resolve, reject) => {
    child.on("exit", (code, signal) =>
      code === 0 ? resolve(out) : reject(new Error(`worker ${worker} ${code ?? signal}: ${err}`)),
    );
  });
}

function lines(output: string): Record<string, number>[] {
  return output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

describe("concurrent writers on S3", () => {
  it("4 processes appending and merging at once lose no commit and no row", async () => {
    const store = minio.store("concurrency");
    const table = DeltaTable.forPath(store, "t");
    await table.create({ schema: pl.DataFrame({ id: ["x"], worker: [0], value: [0] }) });
    const outputs = (
      await Promise.all([
        start(store, 1, 5, "append"),
        start(store, 2, 5, "append"),
        start(store, 3, 3, "merge"),
        start(store, 4, 3, "merge"),
      ])
    ).map(lines);
    const versions = outputs.flat().map((line) => line.version);
    expect(new Set(versions).size).toBe(16); // every operation got its own commit
    expect((await table.snapshot()).version).toBe(16);
    const ids = (await table.read()).getColumn("id").toArray().map(String);
    expect(ids.filter((id) => id.startsWith("w"))).toHaveLength(2 * 5 * 5);
    expect(new Set(ids).size).toBe(ids.length); // no merge key inserted twice
    expect(ids.filter((id) => id.startsWith("m-"))).toHaveLength(10);
    // The writers did race: some commits lost the conditional PUT and were rebased.
    expect(outputs.flat().reduce((sum, line) => sum + (line.rebased ?? 0), 0)).toBeGreaterThan(0);
  }, 300_000);
});

function frame(ids: number[], region: string | null, qty = 1): pl.DataFrame {
  return pl
    .DataFrame({
      id: ids.map((n) => `id-${n}`),
      region: ids.map(() => region),
      qty: ids.map((n) => n * qty),
      day: ids.map((n) => `2024-02-${String(10 + (n % 18)).padStart(2, "0")}`),
    })
    .withColumns(
      pl.col("region").cast(pl.Utf8),
      pl.col("qty").cast(pl.Int64),
      pl.col("day").str.strptime(pl.Date, "%Y-%m-%d"),
    );
}

async function expectSameEverywhere(store: S3ObjectStore, root: string): Promise<number> {
  const latest = (await loadSnapshot(store, root, {})).version;
  for (let version = 0; version <= latest; version++) {
    const theirs = await readWithDeltaRs(`${store.url}/${root}`, version);
    const ours = canonicalRows(await readTable(store, root, await loadSnapshot(store, root, { version })));
    expect(sortedRows(theirs.rows), `${root} at version ${version}`).toEqual(sortedRows(ours));
  }
  return latest;
}

describe("interop with delta-rs on S3", () => {
  it("tables Strata writes on MinIO read identically in delta-rs, version by version", async () => {
    const store = minio.store("interop");
    const table = DeltaTable.forPath(store, "parts");
    await table.create({
      schema: frame([0], "N"),
      partitionColumns: ["region"],
      properties: { "delta.checkpointInterval": "3" },
    });
    await table.append(frame([1, 2], "a:b c"));
    await table.append(frame([3], null));
    const merged = await table.merge(frame([2], "a:b c", 10).vstack(frame([4], "é")), {
      keys: ["id", "region"],
    });
    expect(merged.metrics).toMatchObject({ inserted: 1, updated: 1 });
    await table.overwrite(frame([5], "é"), { partitions: { region: "é" } });
    expect(await expectSameEverywhere(store, "parts")).toBe(4);
  }, 300_000);

  it("tables delta-rs writes on MinIO read identically in Strata, which then commits on them", async () => {
    const store = minio.store("rs");
    const uri = `${store.url}/rs`;
    const columns = { id: "string", region: "string", qty: "long" };
    const rows = (ids: number[], region: string) => ids.map((n) => ({ id: `id-${n}`, region, qty: n }));
    await deltalake("write", uri, "append", "region", JSON.stringify({ columns, rows: rows([1, 2], "N") }));
    await deltalake("write", uri, "append", "region", JSON.stringify({ columns, rows: rows([3], "S") }));
    await deltalake("merge", uri, "id", JSON.stringify({ columns, rows: rows([2, 4], "S") }));
    expect(await expectSameEverywhere(store, "rs")).toBe(2);
    const table = DeltaTable.forPath(store, "rs");
    await table.append(
      pl.DataFrame({ id: ["id-5"], region: ["W"], qty: [5] }).withColumns(pl.col("qty").cast(pl.Int64)),
    );
    expect(await expectSameEverywhere(store, "rs")).toBe(3);
    expect((await readWithDeltaRs(uri)).rows.map((row) => row.id).sort()).toEqual([
      "id-1",
      "id-2",
      "id-3",
      "id-4",
      "id-5",
    ]);
  }, 300_000);
});
