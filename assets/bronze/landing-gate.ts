import { type ErrorCode, StrataError } from "../../engine/index.ts";
import { decodeToUtf8 } from "../silver/transform/decode.ts";
import { mapHeader } from "../silver/transform/headers.ts";
import { scanCsv } from "../silver/transform/records.ts";

/**
 * The whole-object failures of the Silver parser. A landing object that has one can never reach
 * Silver, so Bronze refuses it at the door: it is never indexed for its day, and the day's other
 * objects keep flowing (one unreadable file must not hold a whole day back).
 */
const WHOLE_OBJECT_FAILURES: ReadonlySet<ErrorCode> = new Set([
  "STRATA_ERR_SILVER_UNDECODABLE",
  "STRATA_ERR_SILVER_TRUNCATED",
  "STRATA_ERR_SILVER_MISSING_COLUMN",
]);

export type GateOutcome =
  | { readonly readable: true; readonly records: number }
  | { readonly readable: false; readonly error: StrataError };

/**
 * Reads the object as Silver will (same decoder, record scanner and header rules) and counts its
 * records as Silver will count them, so the manifest's row count reconciles with Silver's rows read.
 */
export function checkLandingCsv(bytes: Uint8Array, key: string): GateOutcome {
  try {
    const scan = scanCsv(decodeToUtf8(bytes, key).utf8, key);
    mapHeader(scan.header, key);
    return { readable: true, records: scan.goodRows + scan.malformed.length };
  } catch (error) {
    if (StrataError.is(error) && WHOLE_OBJECT_FAILURES.has(error.code)) return { readable: false, error };
    throw error;
  }
}
