import { randomUUID } from "node:crypto";
import { mkdir, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "./object-store.ts";

/**
 * Local paths for lake objects, for readers that need a file (DuckDB's read_parquet). A local lake
 * answers with its own path. A remote lake's object is downloaded once into `dir`, under its key:
 * the objects cached here (Delta data files) are immutable, so a cached copy never goes stale and
 * needs no validation. DuckDB could read S3 itself through its httpfs extension, but that extension
 * is downloaded at run time, which locked-down hosts (and CI) cannot do.
 *
 * The cache only grows (one copy per data file ever read); deleting the folder is always safe.
 */
export class LakeFileCache {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    readonly store: ObjectStore,
    readonly dir: string,
  ) {}

  async localPath(key: string): Promise<string> {
    const own = this.store.localPath(key);
    if (own !== undefined) return own;
    const path = resolve(this.dir, key);
    if (!path.startsWith(resolve(this.dir) + sep)) {
      throw new StrataError("STRATA_ERR_OBJECT_STORE", `object key ${quote(key)} escapes the cache folder.`, {
        key,
      });
    }
    // Concurrent callers of one key share one download.
    let download = this.pending.get(path);
    if (download === undefined) {
      download = this.download(key, path).finally(() => this.pending.delete(path));
      this.pending.set(path, download);
    }
    return download;
  }

  private async download(key: string, path: string): Promise<string> {
    if (
      await stat(path).then(
        (info) => info.isFile(),
        () => false,
      )
    )
      return path;
    await mkdir(dirname(path), { recursive: true });
    // Written aside and renamed: another process reading the cache never sees half a file.
    const temporary = join(dirname(path), `.${randomUUID()}.part`);
    await writeFile(temporary, await this.store.get(key));
    await rename(temporary, path);
    return path;
  }
}
