import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { AssetKey } from "../definitions/asset-key.ts";
import { quote, StrataError } from "../errors.ts";

export type Loaded = { readonly found: true; readonly value: unknown } | { readonly found: false };

/**
 * How a step's return value reaches downstream steps, in this run or a later one. Within a run the
 * materializer hands values over in memory; the IO manager persists them so that a run that
 * selects only a downstream asset can load what an earlier run produced.
 */
export interface IOManager {
  /** Persist an asset's value; returns its data version (changes whenever the value changes). */
  handleOutput(key: AssetKey, partition: string | undefined, value: unknown): Promise<string>;
  loadInput(key: AssetKey, partition: string | undefined): Promise<Loaded>;
}

function serialise(key: AssetKey, value: unknown): string {
  try {
    const text = JSON.stringify(value === undefined ? null : value);
    if (text === undefined) throw new Error("not serialisable");
    return text;
  } catch (error) {
    throw new StrataError(
      "STRATA_ERR_IO_MANAGER",
      `the value of ${quote(key)} is not JSON-serialisable (${error instanceof Error ? error.message : String(error)}).`,
      { key },
      { cause: error },
    );
  }
}

export function dataVersionOf(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** Values as JSON files under a folder (default `.strata/io`): small descriptors, not datasets. */
export class FileSystemIOManager implements IOManager {
  /** Folders known to exist: a run writes one value per asset, so mkdir is worth skipping. */
  private readonly folders = new Set<string>();

  constructor(private readonly root: string) {}

  private path(key: AssetKey, partition: string | undefined): string {
    const name = partition === undefined ? "_" : encodeURIComponent(partition);
    return join(this.root, ...key.split("/"), `${name}.json`);
  }

  async handleOutput(key: AssetKey, partition: string | undefined, value: unknown): Promise<string> {
    const text = serialise(key, value);
    const path = this.path(key, partition);
    const folder = dirname(path);
    if (!this.folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.folders.add(folder);
    }
    // Unique per write: two runs of one process can store the same partition in the same millisecond.
    const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, path);
    return dataVersionOf(text);
  }

  async loadInput(key: AssetKey, partition: string | undefined): Promise<Loaded> {
    let text: string;
    try {
      text = await readFile(this.path(key, partition), "utf8");
    } catch (error) {
      if (error instanceof Error && "code" in error && error.code === "ENOENT") return { found: false };
      throw error;
    }
    const value: unknown = JSON.parse(text);
    return { found: true, value };
  }
}

/** Values kept in memory (tests, or values that must not be persisted). */
export class InMemoryIOManager implements IOManager {
  private readonly values = new Map<string, string>();

  async handleOutput(key: AssetKey, partition: string | undefined, value: unknown): Promise<string> {
    const text = serialise(key, value);
    this.values.set(`${key}\u0000${partition ?? ""}`, text);
    return dataVersionOf(text);
  }

  async loadInput(key: AssetKey, partition: string | undefined): Promise<Loaded> {
    const text = this.values.get(`${key}\u0000${partition ?? ""}`);
    if (text === undefined) return { found: false };
    const value: unknown = JSON.parse(text);
    return { found: true, value };
  }
}
