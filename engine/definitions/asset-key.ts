import { quote, StrataError } from "../errors.ts";

/** `<layer>/<name>`, e.g. `silver/sales`. Further segments are allowed (`gold/marts/fact_sales`). */
export type AssetKey = `${string}/${string}`;

const KEY_PATTERN = /^[a-z][a-z0-9_]*(\/[a-z0-9_][a-z0-9_]*)+$/;

export function isAssetKey(value: string): value is AssetKey {
  return KEY_PATTERN.test(value);
}

export function assetKey(value: string, where = "asset key"): AssetKey {
  if (!isAssetKey(value)) {
    throw new StrataError("STRATA_ERR_INVALID_ASSET_KEY", `${where} ${quote(value)} is not <layer>/<name>.`, {
      key: value,
    });
  }
  return value;
}

/** The first segment: bronze, silver, gold, ... */
export function layerOf(key: AssetKey): string {
  return key.slice(0, key.indexOf("/"));
}
