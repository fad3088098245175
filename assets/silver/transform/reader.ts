import { isUtf8 } from "node:buffer";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { StrataError } from "../../../engine/errors.ts";
import { cp1252ToUtf8, type DetectedEncoding, undecodable } from "./decode.ts";

/**
 * A Bronze object's text, read a piece at a time into a caller's buffer, so that a large object is
 * never held whole (a 1.2 GB file would otherwise sit in memory next to everything parsed from it).
 *
 * Each `fill` appends decoded UTF-8 that ends at a line feed (or at the end of the input), so a piece
 * never splits a character. The encoding rules are those of `decodeToUtf8` applied to the whole
 * object: valid UTF-8 (BOM stripped) is used as is; anything else is Windows-1252. Reading as UTF-8
 * validates each piece; the first invalid one throws `NotUtf8`, and the caller starts over in
 * Windows-1252 (`decodeToUtf8` would have decoded the whole object that way).
 */

const LF = 10;

/** Thrown by a UTF-8 reader at the first piece that is not valid UTF-8. */
export class NotUtf8 extends Error {
  constructor() {
    super("not valid UTF-8");
  }
}

interface ByteSource {
  readonly size: number;
  /** Copy up to `length` bytes from `position` into `target` at `offset`; returns the count. */
  read(target: Buffer, offset: number, length: number, position: number): number;
  close(): void;
}

function openSource(content: Uint8Array | string): ByteSource {
  if (typeof content !== "string") {
    const bytes = content;
    return {
      size: bytes.length,
      read: (target, offset, length, position) => {
        const part = bytes.subarray(position, position + length);
        target.set(part, offset);
        return part.length;
      },
      close: () => {},
    };
  }
  let fd: number;
  try {
    fd = openSync(content, "r");
  } catch (cause) {
    throw unreadableSource(content, cause);
  }
  const size = fstatSync(fd).size;
  return {
    size,
    read: (target, offset, length, position) => readSync(fd, target, offset, length, position),
    close: () => closeSync(fd),
  };
}

export class TextReader {
  readonly encoding: DetectedEncoding;
  readonly #source: ByteSource;
  readonly #mode: "utf-8" | "windows-1252";
  readonly #objectKey: string;
  /** Offset of the body (after a BOM) in the object. */
  readonly #bodyStart: number;
  /** Next object offset to read. */
  #position: number;
  /** Bytes read but not yet handed out (the part of the last line without its line feed), raw. */
  #tail: Buffer | null = null;

  /**
   * Open `content` (bytes or a local path) for reading in `mode`. A UTF-16 BOM raises
   * STRATA_ERR_SILVER_UNDECODABLE; in Windows-1252 mode, so does a NUL byte anywhere in the body.
   */
  constructor(content: Uint8Array | string, objectKey: string, mode: "utf-8" | "windows-1252") {
    this.#source = openSource(content);
    this.#mode = mode;
    this.#objectKey = objectKey;
    try {
      const head = Buffer.alloc(3);
      const got = this.#readFully(head, 0, 3, 0);
      if (got >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) {
        throw undecodable(objectKey, "it starts with a UTF-16 byte-order mark");
      }
      const hasBom = got === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
      this.#bodyStart = hasBom ? 3 : 0;
      this.#position = this.#bodyStart;
      this.encoding = mode === "windows-1252" ? "windows-1252" : hasBom ? "utf-8-bom" : "utf-8";
      if (mode === "windows-1252") this.#refuseNul();
    } catch (e) {
      this.#source.close();
      throw e;
    }
  }

  /** Bytes of the object not handed out yet (before decoding). */
  get remaining(): number {
    return this.#source.size - this.#position + (this.#tail?.length ?? 0);
  }

  /** True once every byte of the object has been handed out. */
  get eof(): boolean {
    return this.#position >= this.#source.size && this.#tail === null;
  }

  close(): void {
    this.#source.close();
  }

  /**
   * Append decoded text to `w` from `at`, up to `w.length`. Returns the end of what was written: the
   * byte after a line feed, or the end of the input. Returns `at` when `w` has no room for a whole
   * line: the caller must pass a bigger buffer.
   */
  fill(w: Buffer, at: number): number {
    return this.#mode === "utf-8" ? this.#fillUtf8(w, at) : this.#fillCp1252(w, at);
  }

  /** Whether the rest of the object (not yet handed out) is valid UTF-8. */
  restIsUtf8(): boolean {
    const size = this.#source.size;
    let block = Buffer.allocUnsafe(Math.min(16 * 1024 * 1024, size - this.#position + 1));
    let carry = this.#tail ? Buffer.from(this.#tail) : Buffer.alloc(0);
    for (let pos = this.#position; ; ) {
      // Grow the block when one line does not fit (the carry is a line without its line feed).
      if (carry.length * 2 > block.length) block = Buffer.allocUnsafe(carry.length * 2);
      carry.copy(block, 0);
      const got = this.#readFully(block, carry.length, block.length - carry.length, pos);
      pos += got;
      const end = carry.length + got;
      if (pos >= size) return isUtf8(block.subarray(0, end));
      const lf = block.lastIndexOf(LF, end - 1);
      if (lf >= 0 && !isUtf8(block.subarray(0, lf + 1))) return false;
      carry = Buffer.from(block.subarray(lf + 1, end));
    }
  }

  #readFully(target: Buffer, offset: number, length: number, position: number): number {
    let got = 0;
    while (got < length && position + got < this.#source.size) {
      const n = this.#source.read(target, offset + got, length - got, position + got);
      if (n <= 0) break;
      got += n;
    }
    return got;
  }

  /** Raw bytes into `w[at, w.length)`: the held tail first, then fresh bytes. Returns the end. */
  #readRaw(w: Buffer, at: number, limit: number): number {
    let p = at;
    const tail = this.#tail;
    if (tail) {
      if (tail.length > limit - p) return at;
      tail.copy(w, p);
      p += tail.length;
      this.#tail = null;
    }
    const got = this.#readFully(w, p, limit - p, this.#position);
    this.#position += got;
    return p + got;
  }

  /** Cut raw bytes `w[at, end)` after their last line feed (unless the input ended); hold the rest. */
  #cutAtLineEnd(w: Buffer, at: number, end: number): number {
    if (this.#position >= this.#source.size) return end;
    const lf = w.lastIndexOf(LF, end - 1);
    if (lf < at) {
      this.#tail = end > at ? Buffer.from(w.subarray(at, end)) : null;
      return at;
    }
    this.#tail = end > lf + 1 ? Buffer.from(w.subarray(lf + 1, end)) : null;
    return lf + 1;
  }

  #fillUtf8(w: Buffer, at: number): number {
    const raw = this.#readRaw(w, at, w.length);
    if (raw === at) return at;
    const end = this.#cutAtLineEnd(w, at, raw);
    if (!isUtf8(w.subarray(at, end))) throw new NotUtf8();
    return end;
  }

  #fillCp1252(w: Buffer, at: number): number {
    // Each byte becomes at most 3 UTF-8 bytes: read a third of the room, then convert in place.
    const room = Math.floor((w.length - at) / 3);
    if (room <= 0) return at;
    const raw = Buffer.allocUnsafe(room);
    const got = this.#readRaw(raw, 0, room);
    if (got === 0) return at;
    const end = this.#cutAtLineEnd(raw, 0, got);
    if (end === 0) return at;
    const text = cp1252ToUtf8(raw.subarray(0, end));
    text.copy(w, at);
    return at + text.length;
  }

  /** `decodeToUtf8` refuses a non-UTF-8 object with a NUL byte before parsing anything: so do we. */
  #refuseNul(): void {
    const size = this.#source.size;
    const block = Buffer.allocUnsafe(Math.min(16 * 1024 * 1024, Math.max(size - this.#bodyStart, 1)));
    for (let pos = this.#bodyStart; pos < size; ) {
      const got = this.#readFully(block, 0, block.length, pos);
      if (got <= 0) break;
      const nul = block.subarray(0, got).indexOf(0);
      if (nul >= 0)
        throw undecodable(this.#objectKey, `it contains a NUL byte at offset ${pos - this.#bodyStart + nul}`);
      pos += got;
    }
  }
}

/** A Bronze object given by local path that cannot be read. */
export function unreadableSource(path: string, cause: unknown): StrataError {
  return new StrataError(
    "STRATA_ERR_SILVER_SOURCE_UNREADABLE",
    `Cannot read Bronze object at ${JSON.stringify(path)}.`,
    { path },
    { cause },
  );
}
