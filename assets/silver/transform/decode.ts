import { isUtf8 } from "node:buffer";
import { StrataError } from "../../../engine/errors.ts";

export type DetectedEncoding = "utf-8" | "utf-8-bom" | "windows-1252";

export interface DecodedBytes {
  /** UTF-8 bytes without BOM, ready for the CSV parser. */
  readonly utf8: Buffer;
  readonly encoding: DetectedEncoding;
}

/**
 * Detect the encoding of a Bronze object and return UTF-8 bytes. Valid UTF-8 (with or without BOM)
 * is used as is; anything else that is plausibly text is read as Windows-1252 (a superset of
 * Latin-1 for printable characters), so `Juárez` stored as Latin-1 byte 0xE1 becomes `á`, never
 * U+FFFD. NUL bytes or a UTF-16 BOM mean the object is not a single-byte or UTF-8 text file.
 */
export function decodeToUtf8(bytes: Uint8Array, objectKey: string): DecodedBytes {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) {
    throw undecodable(objectKey, "it starts with a UTF-16 byte-order mark");
  }
  const hasBom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  const body = hasBom ? buf.subarray(3) : buf;
  if (isUtf8(body)) return { utf8: body, encoding: hasBom ? "utf-8-bom" : "utf-8" };
  // A NUL byte never occurs in CSV text; it means binary content or UTF-16 without BOM.
  const nul = body.indexOf(0);
  if (nul >= 0) throw undecodable(objectKey, `it contains a NUL byte at offset ${nul}`);
  return { utf8: cp1252ToUtf8(body), encoding: "windows-1252" };
}

// Code points of bytes 0x80..0x9F in Windows-1252 (Latin-1 has C1 controls there). Undefined bytes
// (0x81, 0x8D, 0x8F, 0x90, 0x9D) keep their Latin-1 meaning, as WHATWG does.
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
];

/**
 * Windows-1252 → UTF-8 in one pass over the bytes. Node's TextDecoder("windows-1252") decodes as
 * ISO-8859-1 (curly quotes would become C1 controls), so the table above is applied by hand.
 */
export function cp1252ToUtf8(src: Buffer): Buffer {
  const out = Buffer.allocUnsafe(src.length * 3);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i] ?? 0;
    const cp = b < 0x80 ? b : b < 0xa0 ? (CP1252_HIGH[b - 0x80] ?? b) : b;
    if (cp < 0x80) out[o++] = cp;
    else if (cp < 0x800) {
      out[o++] = 0xc0 | (cp >> 6);
      out[o++] = 0x80 | (cp & 0x3f);
    } else {
      out[o++] = 0xe0 | (cp >> 12);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    }
  }
  return out.subarray(0, o);
}

export function undecodable(objectKey: string, why: string): StrataError {
  return new StrataError(
    "STRATA_ERR_SILVER_UNDECODABLE",
    `Bronze object ${JSON.stringify(objectKey)} cannot be decoded as text: ${why}.`,
    { objectKey },
  );
}
