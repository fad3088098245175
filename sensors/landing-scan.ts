import type { ObjectInfo, ObjectStore } from "../resources/object-store/object-store.ts";

/**
 * How the landing sensor finds new objects without listing the whole landing zone on every tick
 * and without missing any.
 *
 * S3 lists keys in lexicographic order, and only that way: it cannot list "what arrived since T".
 * A plain start-after cursor is therefore wrong for a drop zone: an object whose key sorts before
 * the cursor (`a.csv` after `z.csv` was seen) but arrives later is never listed again. Date-prefixed
 * landing keys would fix it only if every uploader followed the convention, which we cannot enforce.
 *
 * So the sensor sweeps the prefix in passes:
 *  - `after` is the listing position: each tick lists at most `maxKeysPerTick` keys from it, so a
 *    tick's cost is bounded however large the landing zone grows; at the end of the prefix the pass
 *    is complete and the next tick starts a new pass from the beginning. Every pass covers every
 *    key, so a late object with an early key is found by the next pass at the latest.
 *  - Objects older than `floor` are not requested again: they were listed by an earlier complete
 *    pass. `floor` is the newest LastModified seen before the *previous* pass started, minus a
 *    re-scan window. An object missed by pass P became visible after P started, so its LastModified
 *    is at least (visibility time − upload duration) ≥ (watermark at P's start − window) as long as
 *    the window covers the longest upload plus clock skew between S3 nodes. Objects in the window
 *    are requested again and dropped by their run key (key + ETag), which makes the sensor exactly
 *    once; the window bounds how many such duplicates each pass re-checks.
 */
export interface LandingCursor {
  /** Listing position of the current pass ("" = start of the prefix). */
  readonly after: string;
  /** Newest LastModified (ms) seen in any listing so far. */
  readonly newest: number;
  /** `newest` as it was when the current pass started. */
  readonly newestAtPassStart: number;
  /** Objects older than this are not requested by the current pass (-Infinity on the first pass). */
  readonly floor: number;
  /** Completed passes (for observability). */
  readonly passes: number;
}

export const FIRST_PASS: LandingCursor = {
  after: "",
  newest: 0,
  newestAtPassStart: 0,
  floor: Number.NEGATIVE_INFINITY,
  passes: 0,
};

export interface ScanOptions {
  /** Re-scan window by LastModified (ms): the longest upload plus clock skew. */
  readonly rescanWindowMs: number;
  /** Keys listed per tick at most. */
  readonly maxKeysPerTick: number;
}

export const DEFAULT_SCAN: ScanOptions = { rescanWindowMs: 60 * 60_000, maxKeysPerTick: 10_000 };

export interface ScanResult {
  /** Objects of this tick's listing that may be new (their run keys decide). */
  readonly candidates: readonly ObjectInfo[];
  readonly cursor: LandingCursor;
  readonly listed: number;
}

/** One tick of the sweep over `prefix`, from `cursor`. */
export async function scanLanding(
  lake: ObjectStore,
  prefix: string,
  cursor: LandingCursor,
  options: ScanOptions = DEFAULT_SCAN,
): Promise<ScanResult> {
  const candidates: ObjectInfo[] = [];
  let newest = cursor.newest;
  let last: string | undefined;
  let listed = 0;
  for await (const object of lake.list(prefix, {
    ...(cursor.after !== "" && { startAfter: cursor.after }),
    limit: options.maxKeysPerTick,
  })) {
    listed++;
    last = object.key;
    newest = Math.max(newest, object.lastModified);
    if (object.lastModified >= cursor.floor) candidates.push(object);
  }
  if (listed === options.maxKeysPerTick && last !== undefined) {
    return { candidates, listed, cursor: { ...cursor, after: last, newest } };
  }
  // End of the prefix: the pass is complete. The next pass skips what the pass before this one
  // had already seen (see above), and remembers where the newest stood as it begins.
  return {
    candidates,
    listed,
    cursor: {
      after: "",
      newest,
      newestAtPassStart: newest,
      floor:
        cursor.newestAtPassStart === 0
          ? Number.NEGATIVE_INFINITY // nothing had been seen when that pass began
          : cursor.newestAtPassStart - options.rescanWindowMs,
      passes: cursor.passes + 1,
    },
  };
}

function isCursor(value: unknown): value is LandingCursor {
  if (typeof value !== "object" || value === null) return false;
  const fields: Record<string, string> = {
    after: "string",
    newest: "number",
    newestAtPassStart: "number",
    floor: "number",
    passes: "number",
  };
  return Object.entries(fields).every(([name, type]) => typeof Reflect.get(value, name) === type);
}

/** The stored cursor; anything unreadable (e.g. the ISO timestamp older versions kept) starts over. */
export function parseCursor(text: string | undefined): LandingCursor {
  if (text === undefined) return FIRST_PASS;
  try {
    const parsed: unknown = JSON.parse(text, (_key, value) =>
      value === "-Infinity" ? Number.NEGATIVE_INFINITY : value,
    );
    return isCursor(parsed) ? parsed : FIRST_PASS;
  } catch {
    return FIRST_PASS;
  }
}

export function serialiseCursor(cursor: LandingCursor): string {
  return JSON.stringify(cursor, (_key, value) => (value === Number.NEGATIVE_INFINITY ? "-Infinity" : value));
}
