/**
 * Key tuples as 53-bit hashes, and the sorted-set operations the key index answers with. A hash
 * only ever errs towards "may hold" (a collision makes a file a candidate for nothing); values are
 * encoded so that values polars joins as equal encode equally.
 */
import type pl from "nodejs-polars";

/** Frames up to this height are read with one `rows()` call; taller ones column by column. */
const ROWS_CALL_MAX_HEIGHT = 4096;

/** cyrb53: a fast 53-bit string hash (exact as a JS number, so sortable in a Float64Array). */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * One value's encoding. Integers of every width go through the same JS number (Int64 beyond 2^53
 * rounds, the same way on both sides), so equal values always encode equally.
 */
function encodeValue(value: unknown): string {
  if (value === null || value === undefined) return "\u0001";
  if (typeof value === "string") return `s${value}`;
  if (typeof value === "number" || typeof value === "bigint") return `n${String(Number(value))}`;
  return `?${String(value)}`;
}

/** Rows of `columns` as arrays of JS values; one native call for small frames. */
export function keyRows(frame: pl.DataFrame, columns: readonly string[]): unknown[][] {
  const selected = frame.select(...columns);
  if (selected.height <= ROWS_CALL_MAX_HEIGHT) return selected.rows();
  const arrays = columns.map((column): unknown[] => selected.getColumn(column).toArray());
  return Array.from({ length: selected.height }, (_, i) => arrays.map((values) => values[i]));
}

/** One hash per row of the key tuple (in `columns` order). */
export function hashKeyRows(rows: readonly (readonly unknown[])[]): Float64Array {
  const hashes = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    hashes[i] = hash53(row.length === 1 ? encodeValue(row[0]) : row.map(encodeValue).join("\u0000"));
  });
  return hashes;
}

/** The distinct values, ascending. */
export function sortedUnique(hashes: Float64Array): Float64Array {
  const sorted = Float64Array.from(hashes).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) {
    const value = sorted[i] ?? 0;
    if (i === 0 || value !== sorted[n - 1]) sorted[n++] = value;
  }
  return sorted.slice(0, n);
}

/** Whether a sorted array holds the value (binary search). */
export function contains(sorted: Float64Array, value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = sorted[mid] ?? 0;
    if (at === value) return true;
    if (at < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Whether two sorted unique arrays share a value: binary searches or one merge walk, whichever is cheaper. */
export function intersects(file: Float64Array, wanted: Float64Array): boolean {
  if (wanted.length * Math.log2(file.length + 2) < wanted.length + file.length) {
    for (const value of wanted) if (contains(file, value)) return true;
    return false;
  }
  let i = 0;
  let j = 0;
  while (i < file.length && j < wanted.length) {
    const a = file[i] ?? 0;
    const b = wanted[j] ?? 0;
    if (a === b) return true;
    if (a < b) i++;
    else j++;
  }
  return false;
}
