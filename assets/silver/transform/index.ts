export { type DetectedEncoding, decodeToUtf8 } from "./decode.ts";
export { mapHeader, normaliseHeader } from "./headers.ts";
export { type MalformedRecord, type ScannedCsv, scanCsv } from "./records.ts";
export { rowIdKey, uuidV7ForRow } from "./row-id.ts";
export { DEFAULT_CITY_COUNTRY } from "./rules.ts";
export { transformToSilver, zeroCounts } from "./transform.ts";
export * from "./types.ts";
