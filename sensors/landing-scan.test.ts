import { describe, expect, it } from "vitest";
import type { ListOptions, ObjectInfo, ObjectStore } from "../resources/object-store/object-store.ts";
import {
  FIRST_PASS,
  type LandingCursor,
  parseCursor,
  type ScanOptions,
  scanLanding,
  serialiseCursor,
} from "./landing-scan.ts";

/** Keys listed in S3 order with the LastModified we give them. */
class ListingOnlyStore implements ObjectStore {
  readonly url = "memory://landing";
  private readonly objects = new Map<string, ObjectInfo>();

  add(key: string, lastModified: number): void {
    this.objects.set(key, { key, size: 1, lastModified, etag: `e-${key}-${lastModified}` });
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const keys = [...this.objects.keys()]
      .filter(
        (key) => key.startsWith(prefix) && (options.startAfter === undefined || key > options.startAfter),
      )
      .sort();
    for (const key of keys.slice(0, options.limit ?? keys.length)) {
      const info = this.objects.get(key);
      if (info !== undefined) yield info;
    }
  }

  get(): Promise<Uint8Array> {
    throw new Error("not used");
  }
  getIfExists(): Promise<Uint8Array | undefined> {
    throw new Error("not used");
  }
  head(): Promise<undefined> {
    throw new Error("not used");
  }
  put(): Promise<ObjectInfo> {
    throw new Error("not used");
  }
  putIfAbsent(): Promise<boolean> {
    throw new Error("not used");
  }
  delete(): Promise<void> {
    throw new Error("not used");
  }
  localPath(): undefined {
    return undefined;
  }
}

const MINUTE = 60_000;
const T = Date.parse("2026-03-01T10:00:00Z");
const options: ScanOptions = { rescanWindowMs: 10 * MINUTE, maxKeysPerTick: 2 };

/** Ticks the sensor the way the daemon does; returns every key requested (duplicates included). */
async function tick(
  store: ObjectStore,
  state: { cursor: LandingCursor },
  requested: string[],
): Promise<void> {
  const result = await scanLanding(store, "landing/", state.cursor, options);
  requested.push(...result.candidates.map((c) => c.key));
  state.cursor = result.cursor;
}

describe("landing sweep", () => {
  it("lists at most maxKeysPerTick keys per tick and wraps to the start at the end of the prefix", async () => {
    const store = new ListingOnlyStore();
    for (const name of ["a", "b", "c", "d", "e"]) store.add(`landing/${name}`, T);
    const state = { cursor: FIRST_PASS };
    const requested: string[] = [];
    await tick(store, state, requested);
    expect(state.cursor.after).toBe("landing/b");
    await tick(store, state, requested);
    await tick(store, state, requested);
    expect(state.cursor).toMatchObject({ after: "", passes: 1, newest: T });
    expect(requested).toEqual(["landing/a", "landing/b", "landing/c", "landing/d", "landing/e"]);
  });

  it("finds an object that arrives later under a key sorting before the position (the start-after trap)", async () => {
    const store = new ListingOnlyStore();
    for (const name of ["m", "n", "x", "y"]) store.add(`landing/${name}`, T);
    const state = { cursor: FIRST_PASS };
    const requested: string[] = [];
    await tick(store, state, requested); // m, n
    store.add("landing/a-late", T + MINUTE); // sorts before the position "landing/n"
    await tick(store, state, requested); // x, y: end of pass 1
    expect(requested).not.toContain("landing/a-late");
    for (let i = 0; i < 3; i++) await tick(store, state, requested); // pass 2
    expect(requested.filter((key) => key === "landing/a-late")).toHaveLength(1);
  });

  it("stops re-requesting objects older than the window once two passes have seen them", async () => {
    const store = new ListingOnlyStore();
    store.add("landing/old", T);
    store.add("landing/new", T + 30 * MINUTE);
    const state = { cursor: FIRST_PASS };
    const requested: string[] = [];
    while (state.cursor.passes < 3) await tick(store, state, requested);
    // Pass 3's floor: newest seen at pass 2's start (T+30m) minus the 10-minute window.
    expect(state.cursor.floor).toBe(T + 20 * MINUTE);
    expect(requested.filter((key) => key === "landing/old")).toHaveLength(2);
    expect(requested.filter((key) => key === "landing/new")).toHaveLength(3);
    // An upload that started (LastModified) within the window before the watermark is still found.
    store.add("landing/slow-upload", T + 25 * MINUTE);
    while (state.cursor.passes < 4) await tick(store, state, requested);
    expect(requested).toContain("landing/slow-upload");
  });

  it("round-trips the cursor (with its -Infinity floor) and starts over on an unreadable one", () => {
    expect(parseCursor(serialiseCursor(FIRST_PASS))).toEqual(FIRST_PASS);
    const cursor: LandingCursor = {
      after: "landing/b",
      newest: T,
      newestAtPassStart: T,
      floor: T - 5,
      passes: 3,
    };
    expect(parseCursor(serialiseCursor(cursor))).toEqual(cursor);
    expect(parseCursor("2026-03-01T10:00:00.000Z")).toEqual(FIRST_PASS);
    expect(parseCursor(undefined)).toEqual(FIRST_PASS);
  });
});
