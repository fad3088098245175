import pl from "nodejs-polars";
import { StrataError } from "../../../engine/errors.ts";
import { normaliseHeader } from "./headers.ts";
import type { MalformedRecord } from "./records.ts";
import { SOURCE_FIELDS, type SourceField } from "./types.ts";

/**
 * Kafka Bronze objects (§2: JSON Lines, one event per line, the 24 fields in snake_case plus
 * event_id, event_timestamp, source_system, producer_id). Micro-batches are small, so each line is
 * JSON.parse'd in JS: a line that is not a JSON object becomes a `malformed_row`, and the rest of the
 * object survives. Values are kept as strings (numbers via String()), exactly like CSV fields, so the
 * same rules apply. A missing key is a NULL value, rejected per row by the rules rather than
 * refusing the object: events are independent of each other, unlike the rows under one CSV header.
 */

export interface ParsedJsonLines {
  /** The 24 fields (Utf8) and `extra_fields` (JSON of the other keys, or NULL). */
  readonly frame: pl.DataFrame;
  /** Line number (1-based, blank lines skipped) of each row of `frame`. */
  readonly rowNumbers: Int32Array;
  readonly malformed: readonly MalformedRecord[];
}

const FIELD_OF = new Map<string, SourceField>(SOURCE_FIELDS.map((f) => [f, f]));
FIELD_OF.set("row_id", "source_row_id");
FIELD_OF.delete("source_row_id");

function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

export function parseJsonLines(utf8: Buffer, objectKey: string): ParsedJsonLines {
  const text = utf8.toString("utf8");
  const lines = text.split("\n");
  const endsWithNewline = text.endsWith("\n");
  const columns = new Map<SourceField, Array<string | null>>(SOURCE_FIELDS.map((f) => [f, []]));
  const extras: Array<string | null> = [];
  const numbers: number[] = [];
  const malformed: MalformedRecord[] = [];
  let row = 0;
  lines.forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    row++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (i === lines.length - 1 && !endsWithNewline) {
        throw new StrataError(
          "STRATA_ERR_SILVER_TRUNCATED",
          `Bronze object ${JSON.stringify(objectKey)} is truncated or empty: its last line (${row}) is incomplete JSON without a line end.`,
          { objectKey },
        );
      }
      malformed.push({ rowNumber: row, rawLine: line, detail: "not valid JSON" });
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      malformed.push({ rowNumber: row, rawLine: line, detail: "not a JSON object" });
      return;
    }
    const seen = new Map<SourceField, string | null>();
    const extra: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const field = FIELD_OF.get(normaliseHeader(key));
      if (field) seen.set(field, asText(v));
      else extra[key] = v;
    }
    for (const [f, col] of columns) col.push(seen.get(f) ?? null);
    extras.push(Object.keys(extra).length > 0 ? JSON.stringify(extra) : null);
    numbers.push(row);
  });
  const frame = pl.DataFrame([
    ...SOURCE_FIELDS.map((f) => pl.Series(f, columns.get(f) ?? [], pl.Utf8)),
    pl.Series("extra_fields", extras, pl.Utf8),
  ]);
  return { frame, rowNumbers: Int32Array.from(numbers), malformed };
}
