import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { RunRecord } from "./records.ts";
import { SqliteRunStorage } from "./sqlite-storage.ts";

/** Shared by the SQLite storage tests: storages opened here are closed after each test. */
const opened: SqliteRunStorage[] = [];

export function openStorage(path = ":memory:"): SqliteRunStorage {
  const storage = SqliteRunStorage.open(path);
  opened.push(storage);
  return storage;
}

export function registerCleanup(): void {
  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close();
  });
}

export const tempFile = (name = "runs.sqlite"): string =>
  join(mkdtempSync(join(tmpdir(), "strata-storage-")), name);

export const makeRun = (runId: string, extra: Partial<RunRecord> = {}): RunRecord => ({
  runId,
  status: "queued",
  assetKeys: ["a/x", "a/y"],
  selection: "a/x+",
  tags: { who: "test" },
  createdAt: 1000,
  ...extra,
});

export const DAY = 86_400_000;
