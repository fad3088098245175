/**
 * Several processes writing one table at once lose no commit and no row; a writer killed with
 * SIGKILL mid-write leaves the table readable at its last committed version.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import pl from "nodejs-polars";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalObjectStore } from "../object-store/local-object-store.ts";
import { DeltaTable } from "./delta-table.ts";

const writer = fileURLToPath(new URL("./testing/concurrent-writer.ts", import.meta.url));
let dir: string;
let table: DeltaTable;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "strata-concurrency-"));
  table = DeltaTable.forPath(new LocalObjectStore(dir), "t");
  const schema = pl.DataFrame({ id: ["x"], worker: [0], value: [0] });
  await table.create({ schema });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function start(worker: number, ops: number, mode: string): { child: ChildProcess; done: Promise<string> } {
  const child = spawn(process.execPath, ["--import", "tsx", writer, dir, String(worker), String(ops), mode], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const done = new Promise<string>((resolve, reject) => {
    child.on("exit", (code, signal) =>
      code === 0 ? resolve(out) : reject(new Error(`worker ${worker} ${code ?? signal}: ${err}`)),
    );
  });
  return { child, done };
}

function lines(output: string): Record<string, number>[] {
  return output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

describe("concurrent writers", () => {
  it("4 processes appending and merging at once lose no commit and no row", async () => {
    const workers = [
      start(1, 6, "append"),
      start(2, 6, "append"),
      start(3, 4, "merge"),
      start(4, 4, "merge"),
    ];
    const outputs = (await Promise.all(workers.map((w) => w.done))).map(lines);
    const versions = outputs.flat().map((line) => line.version);
    expect(new Set(versions).size).toBe(20); // every operation got its own commit
    const snapshot = await table.snapshot();
    expect(snapshot.version).toBe(20);
    const rows = await table.read();
    const ids = rows.getColumn("id").toArray().map(String);
    expect(ids.filter((id) => id.startsWith("w"))).toHaveLength(2 * 6 * 5);
    expect(new Set(ids).size).toBe(ids.length); // no merge key inserted twice
    expect(ids.filter((id) => id.startsWith("m-")).sort()).toEqual(
      Array.from({ length: 10 }, (_, k) => `m-${k}`).sort(),
    );
    const merges = outputs.slice(2).flat();
    expect(merges.reduce((sum, m) => sum + (m.inserted ?? 0), 0)).toBe(10);
    // The writers did race: some commits were rebased over others' appends.
    expect(outputs.flat().reduce((sum, line) => sum + (line.rebased ?? 0), 0)).toBeGreaterThan(0);
    const reruns = merges.reduce((sum, m) => sum + (m.attempts ?? 1) - 1, 0);
    console.log(`concurrency: ${reruns} merge re-runs after logical conflicts`);
  }, 300_000);

  it("a writer killed mid-write leaves the table at its last committed version", async () => {
    const { child, done } = start(9, 0, "append-forever");
    const failed = done.catch((error: unknown) => error);
    while ((await table.snapshot()).version < 3) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(String(await failed));
      await sleep(50);
    }
    await sleep(Math.random() * 200);
    child.kill("SIGKILL");
    expect(String(await failed)).toContain("SIGKILL");
    const snapshot = await table.snapshot();
    const rows = await table.read();
    expect(snapshot.version).toBeGreaterThanOrEqual(3);
    expect(rows.height).toBe(snapshot.version * 20_000);
    // Files the killed writer wrote but never committed are orphans: vacuum removes them, rows stay.
    const swept = await table.vacuum({ retentionHours: 0, force: true, now: Date.now() + 1000 });
    const referenced = new Set(snapshot.files.map((file) => decodeURIComponent(file.path)));
    expect(swept.files.filter((file) => referenced.has(file))).toEqual([]);
    expect((await table.read()).height).toBe(rows.height);
    // A new writer carries on from there.
    const next = await table.append(pl.DataFrame({ id: ["after"], worker: [0], value: [0] }));
    expect(next.version).toBe(snapshot.version + 1);
  }, 300_000);
});
