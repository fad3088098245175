import { createHash } from "node:crypto";
import pl from "nodejs-polars";

/**
 * Deterministic UUIDv7 row ids (RFC 9562): 48-bit time = Bronze ingestion time (ms); the 74 "random"
 * bits are a keyed pseudo-random function of the row number, keyed by SHA-256 of the object's hash.
 *
 * Why not SHA-256 per row: hashing 5M rows with node:crypto costs seconds; one SHA-256 per object
 * plus a 32-bit mixing function per row costs ~60 ns. The mixer (murmur3's finaliser) is a bijection
 * on 32 bits, and its output on the row number fills the low 32 bits of rand_b, so two rows of one
 * object can never share an id; ids of different objects differ by key (and usually by time).
 *
 * Why a CSV buffer: nodejs-polars builds a Utf8 Series from JS strings at ~1 M rows/s, and a hex
 * table lookup via replaceStrict is no faster; writing the ASCII ids into one Buffer and letting the
 * native CSV reader load it is ~5× quicker (measured: 0.8 s for 5M ids, against 4+ s).
 */

const HEX = Buffer.from("0123456789abcdef");
const ID_BYTES = 36;

function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Per-object key: the first 96 bits of SHA-256("strata.row_id" | object sha256). */
export function rowIdKey(objectSha256: string): readonly [number, number, number] {
  const d = createHash("sha256").update(`strata.row_id|${objectSha256.toLowerCase()}`).digest();
  return [d.readUInt32BE(0), d.readUInt32BE(4), d.readUInt32BE(8)];
}

/** `tttttttt-tttt-7` for a 48-bit millisecond timestamp. */
function timePrefix(ingestedAtMs: number): Buffer {
  const hex = Math.max(0, Math.floor(ingestedAtMs)).toString(16).padStart(12, "0").slice(-12);
  return Buffer.from(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-7`, "latin1");
}

function writeId(
  out: Buffer,
  p: number,
  prefix: Buffer,
  key: readonly [number, number, number],
  row: number,
): void {
  const h1 = fmix32(row ^ key[0]);
  const h2 = fmix32(h1 ^ key[1]);
  const h3 = fmix32(h2 + key[2]);
  prefix.copy(out, p);
  let q = p + 15;
  // rand_a: 12 bits of h2.
  out[q++] = HEX[(h2 >>> 8) & 15] ?? 0;
  out[q++] = HEX[(h2 >>> 4) & 15] ?? 0;
  out[q++] = HEX[h2 & 15] ?? 0;
  out[q++] = 45;
  // rand_b (62 bits): variant 10, 30 bits of h3, then all 32 bits of h1.
  out[q++] = HEX[8 | ((h3 >>> 28) & 3)] ?? 0;
  for (let k = 24; k >= 16; k -= 4) out[q++] = HEX[(h3 >>> k) & 15] ?? 0;
  out[q++] = 45;
  for (let k = 12; k >= 0; k -= 4) out[q++] = HEX[(h3 >>> k) & 15] ?? 0;
  for (let k = 28; k >= 0; k -= 4) out[q++] = HEX[(h1 >>> k) & 15] ?? 0;
}

/** The row id of one row; the vectorised `rowIdSeries` produces exactly these values. */
export function uuidV7ForRow(ingestedAtMs: number, objectSha256: string, rowNumber: number): string {
  const out = Buffer.alloc(ID_BYTES);
  writeId(out, 0, timePrefix(ingestedAtMs), rowIdKey(objectSha256), rowNumber);
  return out.toString("latin1");
}

/** Row ids for rows firstRow..firstRow + count - 1 of an object, or for the given row numbers. */
export function rowIdSeries(
  ingestedAtMs: number,
  objectSha256: string,
  count: number,
  rowNumbers: Int32Array | null,
  firstRow = 1,
): pl.Series {
  if (count === 0) return pl.Series("row_id", [], pl.Utf8);
  const prefix = timePrefix(ingestedAtMs);
  const key = rowIdKey(objectSha256);
  const out = Buffer.allocUnsafe(count * (ID_BYTES + 1));
  for (let i = 0, p = 0; i < count; i++, p += ID_BYTES + 1) {
    writeId(out, p, prefix, key, rowNumbers ? (rowNumbers[i] ?? 0) : firstRow + i);
    out[p + ID_BYTES] = 10;
  }
  const frame = pl.readCSV(out, { hasHeader: false, inferSchemaLength: 0 });
  return frame.getColumns()[0]?.alias("row_id") ?? pl.Series("row_id", [], pl.Utf8);
}
