import { mkdirSync } from "node:fs";
import type { LakeConfig } from "../config/lake-config.ts";
import { LocalObjectStore } from "./local-object-store.ts";
import type { ObjectStore } from "./object-store.ts";
import { S3ObjectStore } from "./s3-object-store.ts";

export interface OpenLake {
  readonly store: ObjectStore;
  /** Releases the store's connections (the S3 client's sockets); a no-op for a folder. */
  close(): void;
}

/** The lake's ObjectStore as configured: the local folder (created if missing) or S3. */
export function openLake(lake: LakeConfig): OpenLake {
  if (lake.kind === "s3") {
    const store = new S3ObjectStore(lake.s3);
    return { store, close: () => store.close() };
  }
  mkdirSync(lake.root, { recursive: true });
  return { store: new LocalObjectStore(lake.root), close: () => undefined };
}

/** Where the lake is, for people: the folder, or the s3:// URL (never credentials). */
export function describeLake(lake: LakeConfig): string {
  return lake.kind === "local" ? lake.root : lake.url;
}
