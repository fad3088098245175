import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalObjectStore } from "../../resources/object-store/local-object-store.ts";
import type { ListOptions, ObjectStore, PutOptions } from "../../resources/object-store/object-store.ts";
import { addToDayIndex, manifestsOfDay } from "./day-index.ts";
import { encodeManifest, MANIFEST_ROOT, type ManifestRecord } from "./manifest.ts";

const DAY = "2026-11-25";

function record(i: number, ingestedAt = 1_000 + i): ManifestRecord {
  const sha256 = i.toString(16).padStart(64, "0");
  return {
    objectKey: `bronze/sales_csv/${sha256.slice(0, 16)}-f${i}.csv`,
    originalName: `f${i}.csv`,
    landingKey: `landing/sales/f${i}.csv`,
    sha256,
    size: 10,
    rowCount: 1,
    ingestedAt,
    ingestedAtIso: new Date(ingestedAt).toISOString(),
    partition: DAY,
    runId: `run-${i}`,
  };
}

/** The same folder seen as another process sees it: a store with its own URL, so its own caches. */
class OtherProcessView implements ObjectStore {
  readonly url: string;
  constructor(
    private readonly store: ObjectStore,
    name: string,
  ) {
    this.url = `${store.url}#${name}`;
  }
  get = (key: string) => this.store.get(key);
  getIfExists = (key: string) => this.store.getIfExists(key);
  head = (key: string) => this.store.head(key);
  put = (key: string, body: Uint8Array, options?: PutOptions) => this.store.put(key, body, options);
  putIfAbsent = (key: string, body: Uint8Array, options?: PutOptions) =>
    this.store.putIfAbsent(key, body, options);
  list = (prefix: string, options?: ListOptions) => this.store.list(prefix, options);
  delete = (key: string) => this.store.delete(key);
  localPath = (key: string) => this.store.localPath(key);
}

let dir: string;
let lake: LocalObjectStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "strata-day-index-"));
  lake = new LocalObjectStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("Bronze day index", () => {
  it("gives every object of racing writers its own gapless position, each content once", async () => {
    const writers = Array.from({ length: 4 }, (_, w) => new OtherProcessView(lake, `p${w}`));
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => addToDayIndex(writers[i % writers.length] ?? lake, record(i))),
    );
    // The same contents again, from every writer: nothing new.
    await Promise.all(writers.map((writer) => addToDayIndex(writer, record(3))));
    const seen = await manifestsOfDay(new OtherProcessView(lake, "reader"), DAY);
    expect(seen).toHaveLength(60);
    expect(new Set(seen.map((r) => r.sha256)).size).toBe(60);
    const names: string[] = [];
    for await (const info of lake.list(`${MANIFEST_ROOT}/by-day/day=${DAY}/`)) names.push(info.key);
    expect(names.map((key) => Number(key.slice(-15, -5)))).toEqual(
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
  });

  it("keeps positions when an object ingested earlier is indexed later (Silver counts on it)", async () => {
    const reader = new OtherProcessView(lake, "silver");
    await addToDayIndex(lake, record(2, 5_000));
    const before = await manifestsOfDay(reader, DAY);
    await addToDayIndex(new OtherProcessView(lake, "slow-bronze"), record(1, 1_000));
    const after = await manifestsOfDay(reader, DAY);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.map((r) => r.runId)).toEqual(["run-2", "run-1"]);
  });

  it("keeps the first entry of a content indexed twice, and stops at a gap", async () => {
    await addToDayIndex(lake, record(1));
    // A repair racing the original ingestion can index the same content again.
    await lake.putIfAbsent(`${MANIFEST_ROOT}/by-day/day=${DAY}/0000000002.json`, encodeManifest(record(1)));
    await addToDayIndex(lake, record(2));
    // A stray file past a gap is not part of the log.
    await lake.putIfAbsent(`${MANIFEST_ROOT}/by-day/day=${DAY}/0000000009.json`, encodeManifest(record(9)));
    const seen = await manifestsOfDay(new OtherProcessView(lake, "reader"), DAY);
    expect(seen.map((r) => r.runId)).toEqual(["run-1", "run-2"]);
  });
});
