import { readFileSync } from "node:fs";
import pl from "nodejs-polars";
import { StrataError } from "../../../engine/errors.ts";
import { type DetectedEncoding, decodeToUtf8 } from "./decode.ts";
import { mapHeader } from "./headers.ts";
import { parseJsonLines } from "./jsonl.ts";
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

/** Kafka objects are JSON Lines (§2): by explicit format, a `.jsonl` key, or source system KAFKA. */
function isJsonLines(o: BronzeObject): boolean {
  return (
    o.format === "jsonl" ||
    (o.format === undefined && (o.key.endsWith(".jsonl") || o.sourceSystem === "KAFKA"))
  );
}

function loadJsonLines(
  object: BronzeObject,
  objIndex: number,
  utf8: Buffer,
  encoding: DetectedEncoding,
): LoadedObject {
  const parsed = parseJsonLines(utf8, object.key);
  const n = parsed.frame.height;
  const frame = parsed.frame
    .withColumns(
      pl.Series("source_row_number", parsed.rowNumbers).cast(pl.Int64),
      rowIdSeries(object.ingestedAtMs, object.sha256, n, parsed.rowNumbers),
    )
    .lazy()
    .withColumns(pl.lit(objIndex).cast(pl.Int32).alias("__obj"), pl.lit(false).alias("__drop"))
    .collectSync();
  return { frame, malformed: parsed.malformed, encoding, rowsRead: n + parsed.malformed.length };
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
  if (isJsonLines(object)) return loadJsonLines(object, objIndex, utf8, encoding);
  const scan = scanCsv(utf8, object.key);
  lap("load.scan");
  const mapping = mapHeader(scan.header, object.key);
  // Rechunk: misaligned chunks (many parse chunks next to one-chunk row ids) made every later filter
  // re-align all columns; measured at 100x, silver select 6.5 s → 2.8 s and peak RSS 9.4 → 7.0 GB.
  const parsed = pl.readCSV(scan.csv, {
    hasHeader: true,
    inferSchemaLength: 0,
    quoteChar: '"',
    rechunk: true,
    truncateRaggedLines: scan.ragged,
  });
  lap("load.readCSV");
  if (parsed.height !== scan.parsedRows || parsed.width !== scan.header.length) {
    // The pre-pass and polars disagree on the record structure: a bug, not a user error.
    throw new Error(
      `Silver pre-scan of ${object.key} found ${scan.parsedRows} rows × ${scan.header.length} columns, polars ${parsed.height} × ${parsed.width}.`,
    );
  }
  // Whole-frame operations only: each nodejs-polars Series/Expr wrapper costs ~1 ms to create, so
  // per-column alias/Series calls would dominate small objects.
  const n = parsed.height;
  const names = parsed.columns;
  const rename: Record<string, string> = {};
  for (const [index, field] of mapping.known) rename[names[index] ?? ""] = field;
  const extraNames: string[] = [];
  for (const [index, name] of mapping.extra) {
    rename[names[index] ?? ""] = `__x_${name}`;
    extraNames.push(`__x_${name}`);
  }
  const withNumbers = scan.rowNumbers
    ? parsed.rename(rename).withColumn(pl.Series("source_row_number", scan.rowNumbers))
    : parsed.rename(rename).withRowIndex("source_row_number", 1);
  lap("load.columns");
  const ids = rowIdSeries(object.ingestedAtMs, object.sha256, n, scan.rowNumbers);
  lap("load.row_id");
  let base = withNumbers.withColumn(ids).lazy();
  if (extraNames.length > 0) {
    base = base.withColumns(
      pl
        .struct(extraNames.map((x) => pl.col(x).alias(x.slice(4))))
        .struct.jsonEncode()
        .alias("extra_fields"),
    );
  }
  // The final column set as SQL (no per-column Expr wrappers). In ragged mode the malformed records
  // were parsed along (see ScannedCsv.ragged) and are flagged `__drop`, to be excluded by rule.
  const absent = new Set<string>(mapping.absent);
  const select = [
    ...SOURCE_FIELDS.map((f) => (absent.has(f) ? `CAST(NULL AS VARCHAR) AS ${f}` : f)),
    extraNames.length > 0 ? "extra_fields" : "CAST(NULL AS VARCHAR) AS extra_fields",
    "CAST(source_row_number AS BIGINT) AS source_row_number",
    "row_id",
    `CAST(${objIndex} AS INT) AS __obj`,
    scan.dropRows.length > 0
      ? `source_row_number IN (${scan.dropRows.join(", ")}) AS __drop`
      : "FALSE AS __drop",
  ];
  const frame = pl
    .SQLContext({ t: base })
    .execute(`SELECT ${select.join(", ")} FROM t`)
    .collectSync();
  return {
    frame,
    malformed: scan.malformed,
    encoding,
    rowsRead: scan.ragged ? n : n + scan.malformed.length,
  };
}
