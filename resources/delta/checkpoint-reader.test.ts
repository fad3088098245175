/**
 * The checkpoint reader: its polars fast path decodes every corpus checkpoint it accepts exactly as
 * the DuckDB reader does, it leaves the ones it cannot represent to DuckDB, and decoded checkpoints
 * are reused only while the checkpoint's content (keys and etags) is unchanged.
 */
import { cp, mkdtemp, readdir, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { LocalObjectStore } from "../object-store/local-object-store.ts";
import type { ListOptions, ObjectInfo } from "../object-store/object-store.ts";
import { rowsWithDuckDb, rowsWithPolars } from "./checkpoint-decoders.ts";
import { checkpointActions, clearCheckpointCache } from "./checkpoint-reader.ts";
import { isRecord } from "./log-actions.ts";
import { listLog } from "./log-listing.ts";
import { loadSnapshot } from "./snapshot.ts";
import { RemoteLikeStore } from "./testing/remote-like-store.ts";

const CORPUS = fileURLToPath(new URL("../../../shared/delta-conformance/", import.meta.url));
const corpus = new LocalObjectStore(CORPUS);
const temporaryDirectories: string[] = [];

afterAll(async () => {
  for (const directory of temporaryDirectories) await rm(directory, { recursive: true, force: true });
});

/** Table roots (relative to the corpus) of every table with a _delta_log. */
async function corpusTables(directory = ""): Promise<string[]> {
  const entries = await readdir(join(CORPUS, directory), { withFileTypes: true });
  if (entries.some((entry) => entry.isDirectory() && entry.name === "_delta_log")) return [directory];
  const tables: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) tables.push(...(await corpusTables(join(directory, entry.name))));
  }
  return tables;
}

/**
 * polars reads a null Parquet MAP as an empty one; Delta treats a missing tags or partitionValues
 * map and an empty one alike, so the comparison does too.
 */
function canonical(value: unknown): string {
  return JSON.stringify(value, (key, entry: unknown) =>
    (key === "tags" || key === "partitionValues") &&
    (entry === null || (isRecord(entry) && Object.keys(entry).length === 0))
      ? null
      : entry,
  );
}

describe("checkpoint decoders", () => {
  it("decode every corpus checkpoint polars accepts exactly as DuckDB does", async () => {
    const viaPolars: string[] = [];
    const viaDuckDb: string[] = [];
    for (const table of await corpusTables()) {
      for (const checkpoint of (await listLog(corpus, table)).checkpoints.values()) {
        const name = `${table}@${checkpoint.version}`;
        const expected = checkpointActions((await rowsWithDuckDb(corpus, checkpoint)).rows, checkpoint);
        const fast = await rowsWithPolars(corpus, checkpoint);
        if (fast === undefined) {
          viaDuckDb.push(name);
          continue;
        }
        viaPolars.push(name);
        expect(canonical(checkpointActions(fast.rows, checkpoint)), name).toBe(canonical(expected));
      }
    }
    expect(viaPolars.length).toBeGreaterThanOrEqual(12);
    expect(viaPolars).toContain("delta-golden/multi-part-checkpoint@1");
    // Struct-only stats hold decimals and timestamps, whose JSON only DuckDB writes as the log would.
    expect(viaDuckDb).toContain("delta-rs/delta-1.2.1-only-struct-stats@10");
  });
});

/** The corpus copy as a remote store exposes it (no local paths), counting checkpoint reads. */
class CountingStore extends RemoteLikeStore {
  checkpointReads = 0;
  constructor(
    inner: LocalObjectStore,
    private readonly withEtags = true,
  ) {
    super(inner, `${inner.url}#counting`);
  }
  override get(key: string): Promise<Uint8Array> {
    if (key.includes(".checkpoint.")) this.checkpointReads++;
    return super.get(key);
  }
  override async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo> {
    for await (const info of super.list(prefix, options)) yield this.withEtags ? info : { ...info, etag: "" };
  }
}

async function tableCopy(): Promise<{ root: string; checkpoint: string }> {
  const root = await mkdtemp(join(tmpdir(), "strata-delta-checkpoint-"));
  temporaryDirectories.push(root);
  await cp(join(CORPUS, "delta-rs/simple_table_with_checkpoint"), join(root, "table"), { recursive: true });
  return { root, checkpoint: join(root, "table/_delta_log/00000000000000000010.checkpoint.parquet") };
}

describe("decoded checkpoints", () => {
  it("are reused while the checkpoint's etag is unchanged, and decoded again when it changes", async () => {
    clearCheckpointCache();
    const { root, checkpoint } = await tableCopy();
    const store = new CountingStore(new LocalObjectStore(root));
    const first = await loadSnapshot(store, "table");
    expect(first.checkpointVersion).toBe(10);
    expect(store.checkpointReads).toBe(1);
    const second = await loadSnapshot(store, "table");
    expect(store.checkpointReads).toBe(1);
    expect(second.files).toEqual(first.files);
    await utimes(checkpoint, new Date(2_000_000_000_000), new Date(2_000_000_000_000));
    await loadSnapshot(store, "table");
    expect(store.checkpointReads).toBe(2);
    clearCheckpointCache();
    expect((await loadSnapshot(store, "table")).files).toEqual(first.files);
    expect(store.checkpointReads).toBe(3);
  });

  it("are not reused from a store that gives no etags", async () => {
    clearCheckpointCache();
    const { root } = await tableCopy();
    const store = new CountingStore(new LocalObjectStore(root), false);
    await loadSnapshot(store, "table");
    await loadSnapshot(store, "table");
    expect(store.checkpointReads).toBe(2);
  });
});
