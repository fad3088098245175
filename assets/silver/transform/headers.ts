import { StrataError } from "../../../engine/errors.ts";
import { REQUIRED_FIELDS, SOURCE_FIELDS, type SourceField } from "./types.ts";

/** `Sub-Category` → `sub_category`, ` Order ID ` → `order_id`, `ROW_ID` → `row_id`. */
export function normaliseHeader(name: string): string {
  return name
    .replace(/^\uFEFF/, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "_")
    .replace(/^_+|_+$/g, "");
}

const CANONICAL = new Map<string, SourceField>(SOURCE_FIELDS.map((f) => [f, f]));
// The source calls its row counter `Row ID`; in Silver `row_id` is our UUIDv7, so the source's moves.
CANONICAL.set("row_id", "source_row_id");
CANONICAL.delete("source_row_id");

export interface HeaderMapping {
  /** Physical column index → Silver field name, for the 24 known fields present. */
  readonly known: ReadonlyMap<number, SourceField>;
  /** Physical column index → normalised name, for columns we do not know (kept in quarantine only). */
  readonly extra: ReadonlyMap<number, string>;
  /** Optional known fields absent from the file (NULL in every row). */
  readonly absent: readonly SourceField[];
}

/** Match headers by normalised name; refuse a file lacking a required field or naming one twice. */
export function mapHeader(header: readonly string[], objectKey: string): HeaderMapping {
  const known = new Map<number, SourceField>();
  const extra = new Map<number, string>();
  const seen = new Map<string, number>();
  header.forEach((raw, index) => {
    const norm = normaliseHeader(raw) || `column_${index + 1}`;
    const previous = seen.get(norm);
    if (previous !== undefined) {
      throw new StrataError(
        "STRATA_ERR_SILVER_MISSING_COLUMN",
        `The header of ${JSON.stringify(objectKey)} names ${JSON.stringify(raw)} twice (columns ${previous + 1} and ${index + 1} normalise to ${JSON.stringify(norm)}).`,
        { objectKey, column: raw },
      );
    }
    seen.set(norm, index);
    const field = CANONICAL.get(norm);
    if (field) known.set(index, field);
    else extra.set(index, norm);
  });
  const present = new Set(known.values());
  const missing = REQUIRED_FIELDS.filter((f) => !present.has(f));
  if (missing.length > 0) {
    throw new StrataError(
      "STRATA_ERR_SILVER_MISSING_COLUMN",
      `The header of ${JSON.stringify(objectKey)} lacks required column(s) ${missing.map((m) => JSON.stringify(m)).join(", ")}; it has ${header.map((h) => JSON.stringify(h)).join(", ")}.`,
      { objectKey, missing },
    );
  }
  const absent = SOURCE_FIELDS.filter((f) => !present.has(f));
  return { known, extra, absent };
}
