import { createHash, randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { ListOptions, ObjectInfo, ObjectStore, PutOptions } from "./object-store.ts";

const METADATA_SUFFIX = ".strata-meta.json";

function isNotFound(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "ENOENT";
}

function isAlreadyExists(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "EEXIST";
}

/**
 * An ObjectStore on a local folder. Writes go to a temporary file and are renamed into place, so a
 * reader never sees half an object; putIfAbsent uses link(2), which fails atomically when the
 * target exists. Object metadata lives in a hidden sidecar file next to the object.
 */
/** Objects stat'ed concurrently while listing. */
const STAT_BATCH = 16;

export class LocalObjectStore implements ObjectStore {
  readonly root: string;
  readonly url: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.url = pathToFileURL(this.root).href;
  }

  localPath(key: string): string {
    const path = resolve(this.root, key);
    if (path !== this.root && !path.startsWith(this.root + sep)) {
      throw new Error(`object key ${JSON.stringify(key)} escapes the store root ${this.root}`);
    }
    return path;
  }

  async get(key: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.localPath(key)));
  }

  async getIfExists(key: string): Promise<Uint8Array | undefined> {
    try {
      return await this.get(key);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async head(key: string): Promise<(ObjectInfo & { metadata: Record<string, string> }) | undefined> {
    try {
      const path = this.localPath(key);
      const info = await stat(path);
      if (!info.isFile()) return undefined;
      return { ...this.info(key, info.size, info.mtimeMs), metadata: await this.readMetadata(path) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    const path = this.localPath(key);
    const temporary = await this.writeTemporary(path, body);
    await this.writeMetadata(path, options);
    await rename(temporary, path);
    const info = await stat(path);
    return this.info(key, info.size, info.mtimeMs);
  }

  async putIfAbsent(key: string, body: Uint8Array, options: PutOptions = {}): Promise<boolean> {
    const path = this.localPath(key);
    const temporary = await this.writeTemporary(path, body);
    try {
      await link(temporary, path);
    } catch (error) {
      if (isAlreadyExists(error)) return false;
      throw error;
    } finally {
      await unlink(temporary);
    }
    await this.writeMetadata(path, options);
    return true;
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const directoryKey = prefix.replace(/[^/]*$/, "");
    const keys = (
      await this.walk(this.localPath(directoryKey), directoryKey, prefix, options.startAfter)
    ).sort();
    let emitted = 0;
    // A few stats at once: each is a thread-pool round trip, and a Delta snapshot load lists on every open.
    for (let at = 0; at < keys.length; at += STAT_BATCH) {
      const batch = keys.slice(at, at + STAT_BATCH);
      const infos = await Promise.all(batch.map((key) => this.statIfExists(key)));
      for (const [i, key] of batch.entries()) {
        const info = infos[i];
        if (info === undefined) continue; // deleted between listing and stat: skip it
        if (options.limit !== undefined && emitted >= options.limit) return;
        emitted++;
        yield this.info(key, info.size, info.mtimeMs);
      }
    }
  }

  private async statIfExists(key: string): Promise<import("node:fs").Stats | undefined> {
    try {
      return await stat(this.localPath(key));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.localPath(key);
    await rm(path, { force: true });
    await rm(path + METADATA_SUFFIX, { force: true });
  }

  private info(key: string, size: number, mtimeMs: number): ObjectInfo {
    const etag = createHash("md5").update(`${key}:${size}:${mtimeMs}`).digest("hex");
    return { key, size, lastModified: Math.floor(mtimeMs), etag };
  }

  private async writeTemporary(path: string, body: Uint8Array): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    const temporary = join(dirname(path), `.${randomUUID()}.tmp`);
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return temporary;
  }

  private async writeMetadata(path: string, options: PutOptions): Promise<void> {
    const metadata = {
      ...options.metadata,
      ...(options.contentType ? { "content-type": options.contentType } : {}),
    };
    if (Object.keys(metadata).length === 0) return;
    await writeFile(path + METADATA_SUFFIX, JSON.stringify(metadata));
  }

  private async readMetadata(path: string): Promise<Record<string, string>> {
    try {
      const parsed: unknown = JSON.parse(await readFile(path + METADATA_SUFFIX, "utf8"));
      if (typeof parsed !== "object" || parsed === null) return {};
      return Object.fromEntries(
        Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"),
      );
    } catch (error) {
      if (isNotFound(error)) return {};
      throw error;
    }
  }

  /**
   * The object keys below a directory (whose key is `directoryKey`, '' or ending in '/') that start
   * with `prefix` and sort after `startAfter`; hidden temporaries and metadata sidecars are not
   * objects. Keys are built by concatenation and filtered while walking: a Delta log directory of
   * a thousand commits is listed on every snapshot load.
   */
  private async walk(
    directory: string,
    directoryKey: string,
    prefix: string,
    startAfter: string | undefined,
  ): Promise<string[]> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const keys: string[] = [];
    for (const entry of entries) {
      const key = directoryKey + entry.name;
      if (entry.isDirectory()) {
        const below = `${key}/`;
        if (below.startsWith(prefix) || prefix.startsWith(below))
          keys.push(...(await this.walk(join(directory, entry.name), below, prefix, startAfter)));
      } else if (
        entry.isFile() &&
        key.startsWith(prefix) &&
        (startAfter === undefined || key > startAfter) &&
        !entry.name.endsWith(METADATA_SUFFIX) &&
        !entry.name.endsWith(".tmp")
      ) {
        keys.push(key);
      }
    }
    return keys;
  }
}
