import { isUtf8 } from "node:buffer";
import { StrataError } from "../../../engine/errors.ts";

export type DetectedEncoding = "utf-8" | "utf-8-bom" | "windows-1252";

export interface DecodedBytes {
  /** UTF-8 bytes without BOM, ready for the CSV parser. */
  readonly utf8: Buffer;
  readonly encoding: DetectedEncoding;
}

// Windows-1252 is a single-byte encoding, so slicing at any byte boundary is safe; chunking keeps
// each intermediate JS string far below V8's string length limit on multi-GB files.
const CP1252_CHUNK = 64 * 1024 * 1024;

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
  const decoder = new TextDecoder("windows-1252");
  const parts: Buffer[] = [];
  for (let start = 0; start < body.length; start += CP1252_CHUNK) {
    parts.push(Buffer.from(decoder.decode(body.subarray(start, start + CP1252_CHUNK)), "utf8"));
  }
  return { utf8: parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts), encoding: "windows-1252" };
}

function undecodable(objectKey: string, why: string): StrataError {
  return new StrataError(
    "STRATA_ERR_SILVER_UNDECODABLE",
    `Bronze object ${JSON.stringify(objectKey)} cannot be decoded as text: ${why}.`,
    { objectKey },
  );
}
