import { readFileSync } from "node:fs";
import pl from "nodejs-polars";
import { StrataError } from "../../../engine/errors.ts";
import { type DetectedEncoding, decodeToUtf8 } from "./decode.ts";
import { mapHeader } from "./headers.ts";
import { type MalformedRecord, scanCsv } from "./records.ts";
import { rowIdSeries } from "./row-id.ts";
import { type BronzeObject, SOURCE_FIELDS } from "./types.ts";

/** One Bronze object parsed into raw string columns, before any rule is applied. */
export interface LoadedObject {
  /**
   * The 24 fields as raw strings (NULL when absent or empty), `extra_fields` (JSON of unknown
   * columns, or NULL), `source_row_number`, `row_id`, and `__obj` (the object's position in the batch).
   */
  readonly frame: pl.DataFrame;
  readonly malformed: readonly MalformedRecord[];
  readonly encoding: DetectedEncoding;
  readonly rowsRead: number;
}

export function readBronzeBytes(content: Uint8Array | string): Buffer {
  if (typeof content !== "string") {
    return Buffer.isBuffer(content)
      ? content
      : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  }
  try {
    return readFileSync(content);
  } catch (cause) {
    throw new StrataError(
      "STRATA_ERR_SILVER_SOURCE_UNREADABLE",
      `Cannot read Bronze object at ${JSON.stringify(content)}.`,
      { path: content },
      { cause },
    );
  }
}

/** Decode, pre-scan and parse one object with every column as Utf8 (inferSchemaLength 0). */
export function loadBronzeObject(
  object: BronzeObject,
  objIndex: number,
  onPhase?: (phase: string, ms: number) => void,
): LoadedObject {
  let t = performance.now();
  const lap = (phase: string): void => {
    const now = performance.now();
    onPhase?.(phase, now - t);
    t = now;
  };
  const { utf8, encoding } = decodeToUtf8(readBronzeBytes(object.content), object.key);
  lap("load.read+decode");
  const scan = scanCsv(utf8, object.key);
  lap("load.scan");
  const mapping = mapHeader(scan.header, object.key);
  // No rechunk: the plan reads the columns once anyway, and rechunking copies every string column.
  const parsed = pl.readCSV(scan.csv, {
    hasHeader: true,
    inferSchemaLength: 0,
    quoteChar: '"',
    rechunk: false,
  });
  lap("load.readCSV");
  if (parsed.height !== scan.goodRows || parsed.width !== scan.header.length) {
    // The pre-pass and polars disagree on the record structure: a bug, not a user error.
    throw new Error(
      `Silver pre-scan of ${object.key} found ${scan.goodRows} rows × ${scan.header.length} columns, polars ${parsed.height} × ${parsed.width}.`,
    );
  }
  const physical = parsed.getColumns();
  const byField = new Map<string, pl.Series>();
  for (const [index, field] of mapping.known) {
    const col = physical[index];
    if (col) byField.set(field, col.alias(field));
  }
  const columns: pl.Series[] = SOURCE_FIELDS.map(
    (f) => byField.get(f) ?? pl.Series(f, new Array<null>(parsed.height).fill(null), pl.Utf8),
  );
  const n = parsed.height;
  const rowNumbers = scan.rowNumbers
    ? pl.Series("source_row_number", scan.rowNumbers).cast(pl.Int64)
    : pl.Series("source_row_number", sequence(n)).cast(pl.Int64);
  const extras = [...mapping.extra].flatMap(([index, name]) => {
    const col = physical[index];
    return col ? [col.alias(name)] : [];
  });
  const extraJson =
    extras.length > 0
      ? pl
          .DataFrame(extras)
          .select(
            pl
              .struct(extras.map((s) => pl.col(s.name)))
              .struct.jsonEncode()
              .alias("extra_fields"),
          )
          .getColumn("extra_fields")
      : pl.Series("extra_fields", new Array<null>(n).fill(null), pl.Utf8);
  lap("load.columns");
  const ids = rowIdSeries(object.ingestedAtMs, object.sha256, n, scan.rowNumbers);
  lap("load.row_id");
  const frame = pl.DataFrame([
    ...columns,
    extraJson,
    rowNumbers,
    ids,
    pl.Series("__obj", new Uint32Array(n).fill(objIndex)),
  ]);
  return { frame, malformed: scan.malformed, encoding, rowsRead: n + scan.malformed.length };
}

function sequence(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i + 1;
  return out;
}
