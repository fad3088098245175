/**
 * One registry of every error a user can cause. Each code has a summary (what went wrong) and a fix
 * (what to change). Throw sites add the specifics: the bad value, quoted, and where it came from.
 * The README's error table documents every code; `errors.test.ts` keeps the two in step.
 */
export const errorCatalog = {
  // --- definitions and graph -------------------------------------------------------------------
  STRATA_ERR_INVALID_ASSET_KEY: {
    summary: "An asset key is not of the form <layer>/<name>.",
    fix: "Use lower-case segments of letters, digits and underscores separated by '/', e.g. 'silver/sales'.",
  },
  STRATA_ERR_NOT_AN_ASSET: {
    summary: "A class in Definitions or in `ins` is not decorated with @asset or @multiAsset.",
    fix: "Decorate the class with @asset({...}) or pass an AssetDefinition.",
  },
  STRATA_ERR_DUPLICATE_ASSET_KEY: {
    summary: "Two assets declare the same key.",
    fix: "Rename one of them, or remove the duplicate entry from Definitions.",
  },
  STRATA_ERR_UNKNOWN_DEPENDENCY: {
    summary: "An asset depends on a key that no asset in Definitions declares.",
    fix: "Fix the key (see the suggestion) or add the upstream asset to Definitions.",
  },
  STRATA_ERR_DEPENDENCY_CYCLE: {
    summary: "The asset graph has a cycle.",
    fix: "Break the cycle: one of the assets on the printed path must not depend on the next.",
  },
  STRATA_ERR_MISSING_BINDING: {
    summary: "An asset needs a resource that the container does not provide.",
    fix: "Bind the named token in the resource bindings passed to Definitions.",
  },
  STRATA_ERR_DUPLICATE_DEFINITION: {
    summary: "Two checks, sensors or schedules share a name.",
    fix: "Give each check (per asset), sensor and schedule a unique name.",
  },
  STRATA_ERR_INVALID_PARTITIONS: {
    summary: "A partitions definition is invalid.",
    fix: "Daily partitions need a start date (YYYY-MM-DD) and a valid IANA timezone; static partitions need unique, non-empty keys.",
  },
  STRATA_ERR_UNKNOWN_PARTITION: {
    summary: "A partition key is not part of the asset's partitions definition.",
    fix: "Use a key listed by `strata list --partitions` (daily keys are YYYY-MM-DD, within start and today).",
  },
  STRATA_ERR_PARTITION_MISMATCH: {
    summary:
      "The selected assets do not share one partitions definition, or a partition was given for an unpartitioned selection.",
    fix: "Select only assets with the same partitions definition when passing --partition/--from/--to, or drop the partition flags.",
  },
  STRATA_ERR_INVALID_SELECTION: {
    summary: "An asset selection does not parse or matches no asset.",
    fix: "Use key, +key, key+, 2+key, layer:<l>, group:<g>, tag:<k>=<v> or *, separated by commas; see `strata list`.",
  },
  STRATA_ERR_INVALID_CRON: {
    summary: "A cron expression or timezone is invalid.",
    fix: "Use a 5-field cron expression (e.g. '0 2 * * *') and an IANA timezone (e.g. 'UTC', 'Europe/Paris').",
  },
  STRATA_ERR_INVALID_OPTION: {
    summary: "An option given to a definition or command is invalid.",
    fix: "Correct the quoted option as the message says.",
  },
  // --- execution -----------------------------------------------------------------------------
  STRATA_ERR_STEP_FAILED: {
    summary: "An asset's materialize() threw after all retries.",
    fix: "Read the step's error in `strata logs <run>`; fix the cause and re-run the failed assets.",
  },
  STRATA_ERR_RUN_CANCELLED: {
    summary: "The run was cancelled before the step finished.",
    fix: "Re-run the selection when ready; completed steps keep their materialisations.",
  },
  STRATA_ERR_MISSING_INPUT: {
    summary: "An input's upstream value has never been materialised, so it cannot be loaded.",
    fix: "Materialise the upstream asset first, or include it in the selection (e.g. '+<key>').",
  },
  STRATA_ERR_UNKNOWN_RUN: {
    summary: "No run or backfill has the given id.",
    fix: "List runs with `strata runs` and copy an id from there.",
  },
  STRATA_ERR_BACKFILL_STATE: {
    summary: "The backfill cannot do that in its current state.",
    fix: "Only a running or paused backfill can be resumed or cancelled; start a new backfill otherwise.",
  },
  STRATA_ERR_USAGE: {
    summary: "The command line is not valid.",
    fix: "Run `strata help` to see the commands and their flags.",
  },
  // --- server (UI and HTTP API) ----------------------------------------------------------------
  STRATA_ERR_UNAUTHORIZED: {
    summary: "A mutating HTTP API request has no bearer token, or not the server's token.",
    fix: "Send 'Authorization: Bearer <token>' with the token `strata dev` printed on first start (or STRATA_UI_TOKEN).",
  },
  STRATA_ERR_INVALID_REQUEST: {
    summary: "An HTTP API request does not match the route's JSON schema (body, query or path).",
    fix: "Correct the quoted field as the message says; server/README.md documents every route's request.",
  },
  STRATA_ERR_NOT_FOUND: {
    summary: "The HTTP route, asset, sensor or schedule does not exist.",
    fix: "Check the URL against server/README.md; list assets with GET /api/assets and instigators with GET /api/sensors or /api/schedules.",
  },
  STRATA_ERR_RUN_STATE: {
    summary: "The run cannot be cancelled: it has already ended.",
    fix: "Only queued or executing runs can be cancelled; look at the run's status and events for how it ended.",
  },
  STRATA_ERR_INTERNAL: {
    summary: "The server failed unexpectedly while handling a request.",
    fix: "Read the server's log for the cause (the HTTP answer never includes it) and report it with the request that caused it.",
  },
  // --- configuration -------------------------------------------------------------------------
  STRATA_ERR_CONFIG: {
    summary: "The configuration (environment variables or strata.config.json) has problems; all are listed.",
    fix: "Correct each listed setting; see the README's configuration table for names and formats.",
  },
  // --- object store (S3) ---------------------------------------------------------------------
  STRATA_ERR_OBJECT_NOT_FOUND: {
    summary: "An object the pipeline needs does not exist in the lake.",
    fix: "Check the quoted key and the lake location (STRATA_LAKE); restore the object or re-run the step that writes it.",
  },
  STRATA_ERR_OBJECT_STORE: {
    summary:
      "An S3 request failed after retries (unreachable endpoint, wrong credentials, missing bucket, access denied).",
    fix: "Check STRATA_LAKE, STRATA_S3_ENDPOINT, the credentials and the bucket policy; `strata doctor --connectivity` tests them.",
  },
  STRATA_ERR_S3_ENCRYPTION: {
    summary:
      "The S3 server refused the requested server-side encryption (e.g. MinIO without a KMS refuses SSE-S3).",
    fix: "Configure encryption on the server (a KMS for MinIO), or set STRATA_S3_SSE=none to rely on the bucket's default encryption.",
  },
  // --- kafka ---------------------------------------------------------------------------------
  STRATA_ERR_KAFKA_NOT_CONFIGURED: {
    summary: "A Kafka command or asset ran but no broker is configured.",
    fix: "Set STRATA_KAFKA_BROKERS=host:port[,host:port] (infra/local/kafka.sh env prints it for the local broker).",
  },
  STRATA_ERR_KAFKA: {
    summary: "The Kafka broker could not be reached or refused a request after retries.",
    fix: "Check STRATA_KAFKA_BROKERS and that the broker is up (`infra/local/kafka.sh health`); the ingestion resumes from the committed offsets.",
  },
  STRATA_ERR_KAFKA_UNREACHABLE: {
    summary:
      "No broker of STRATA_KAFKA_BROKERS answered, or the bootstrap answered but the brokers it advertises did not.",
    fix: "Set STRATA_KAFKA_BROKERS to host:port of a listener this machine reaches (`infra/local/kafka.sh env` prints the local one) and start the broker; if only the advertised brokers fail, fix the broker's advertised.listeners.",
  },
  STRATA_ERR_KAFKA_TOPIC_MISSING: {
    summary: "The topic named by STRATA_KAFKA_TOPIC does not exist on the cluster.",
    fix: "Set STRATA_KAFKA_TOPIC to the topic the point-of-sale producers write, or create it (`strata produce` creates it with 3 partitions).",
  },
  // --- pipeline ------------------------------------------------------------------------------
  STRATA_ERR_BRONZE_MANIFEST: {
    summary: "A Bronze manifest record is not valid JSON of the expected shape.",
    fix: "Manifests are written by Strata only; restore the quoted file from the object store's version history.",
  },
  STRATA_ERR_LANDING_REFUSED: {
    summary:
      "Several landing objects of a day cannot be read as sales CSV; none of them was ingested (the readable ones were).",
    fix: "Fix each quoted file as its own error says and drop the corrected file into the landing zone; the refused ones are listed under bronze/_refused/.",
  },
  STRATA_ERR_BRONZE_DAY_INDEX_CONTENDED: {
    summary: "Bronze could not add an object to its day's index: other ingestions kept taking the next slot.",
    fix: "Lower the number of concurrent Bronze runs (the daemon's maxConcurrentRuns) and re-run the day; the object itself is committed, and the next run for its day indexes it.",
  },
  STRATA_ERR_RECONCILIATION: {
    summary:
      "Silver reconciliation failed: rows read from Bronze differ from rows inserted + updated + unchanged + quarantined.",
    fix: "Nothing downstream ran. Inspect the run's metadata for the counts and report the input file; re-run after fixing.",
  },
  // --- storage -------------------------------------------------------------------------------
  STRATA_ERR_STORAGE: {
    summary: "The run storage could not be opened or written.",
    fix: "Check that the .strata folder is writable and not used by an incompatible Strata version.",
  },
  STRATA_ERR_IO_MANAGER: {
    summary: "The IO manager could not store or load an asset's value.",
    fix: "Return JSON-serialisable values from materialize(), or bind an IO manager that can store them.",
  },
  // --- silver transform ------------------------------------------------------------------------
  STRATA_ERR_SILVER_UNDECODABLE: {
    summary:
      "A Bronze object is not UTF-8 or Windows-1252/Latin-1 text (binary content, NUL bytes or UTF-16).",
    fix: "Re-export the file as CSV in UTF-8 (BOM optional) or Latin-1/Windows-1252 and drop it into the landing zone again.",
  },
  STRATA_ERR_SILVER_TRUNCATED: {
    summary:
      "A Bronze object is empty or ends in the middle of a record (an open quote or a short last line without a newline).",
    fix: "The upload was cut off: copy the complete file again; the partial object is not processed.",
  },
  STRATA_ERR_SILVER_MISSING_COLUMN: {
    summary: "A Bronze CSV header lacks a required column, or names one column twice after normalisation.",
    fix: "Export the file with the Global Superstore header (Order ID, Order Date, Ship Date, Product ID, Sales, Quantity, Discount, Profit are required); column order does not matter.",
  },
  STRATA_ERR_SILVER_SOURCE_UNREADABLE: {
    summary: "A Bronze object given by local path could not be read.",
    fix: "Check that the quoted path exists and is readable, or pass the object's bytes instead.",
  },
  // --- delta writer (resources/delta/writer et al.) -------------------------------------------
  STRATA_ERR_DELTA_UNSUPPORTED_WRITER: {
    summary:
      "The Delta table needs a writer version or writer feature that Strata does not implement (Strata writes protocol (1,2) and the writer features appendOnly and invariants).",
    fix: "Write to this table with an engine that supports the quoted features, or recreate it without them (e.g. without deletion vectors or column mapping).",
  },
  STRATA_ERR_DELTA_CONCURRENT_MODIFICATION: {
    summary:
      "Another writer committed a conflicting change (removed a file this write read or rewrote, or changed the table metadata or protocol) and retrying did not resolve it.",
    fix: "Re-run the operation; it will read the new table version. If it keeps failing, serialise the conflicting writers (e.g. one merge per table at a time).",
  },
  STRATA_ERR_DELTA_SCHEMA_MISMATCH: {
    summary:
      "A frame's columns do not fit the Delta table schema (an unknown column, a missing non-nullable column, or a missing partition column).",
    fix: "Select the table's columns (see the quoted schema), or pass mergeSchema: true to add new nullable columns.",
  },
  STRATA_ERR_DELTA_TYPE_CHANGE: {
    summary:
      "A column's type in the frame differs from its type in the Delta table; Delta does not change column types in place.",
    fix: "Cast the column to the table's type before writing, or write the new type under a new column name.",
  },
  STRATA_ERR_DELTA_APPEND_ONLY: {
    summary: "The Delta table has delta.appendOnly=true, so rows cannot be updated, deleted or overwritten.",
    fix: "Only append to this table, or set delta.appendOnly to false in its properties if changing data is intended.",
  },
  STRATA_ERR_DELTA_INVARIANT_VIOLATED: {
    summary:
      "Rows violate a column invariant of the Delta table (NOT NULL or a delta.invariants expression), or an invariant cannot be evaluated.",
    fix: "Fix or filter the quoted rows before writing; nothing was committed.",
  },
  STRATA_ERR_DELTA_TABLE_EXISTS: {
    summary: "A Delta table already exists where a new one was to be created.",
    fix: "Open the existing table instead, or choose another location.",
  },
  STRATA_ERR_DELTA_DUPLICATE_SOURCE_KEY: {
    summary: "The merge source has several rows with the same key, so it is ambiguous which one should win.",
    fix: "Deduplicate the source on the merge keys before merging (keep one row per key).",
  },
  STRATA_ERR_DELTA_PARTITION_PREDICATE: {
    summary:
      "An overwrite's partition predicate names a non-partition column, or the frame has rows outside the partitions it overwrites.",
    fix: "Name only partition columns in the predicate, and write only rows that match it.",
  },
  STRATA_ERR_DELTA_RETENTION_TOO_SHORT: {
    summary:
      "A vacuum retention shorter than the table's deleted-file retention (default 7 days) could delete files that running readers still need.",
    fix: "Use a retention of at least the quoted minimum, or pass force: true if no reader or writer can be using older versions.",
  },
  STRATA_ERR_DELTA_INVALID_WRITE: {
    summary:
      "A Delta write was given an invalid option (an unknown key or partition column, an empty key list, a bad property value).",
    fix: "Correct the quoted option as the message says.",
  },
  // --- delta reader (resources/delta/snapshot et al.) ------------------------------------------
  STRATA_ERR_DELTA_NOT_A_TABLE: {
    summary: "The location has no Delta transaction log (no commit or checkpoint under _delta_log/).",
    fix: "Check the table path (it must be the folder that contains _delta_log/), or create the table first.",
  },
  STRATA_ERR_DELTA_CORRUPT_LOG: {
    summary:
      "The Delta log cannot be replayed: commit versions are not contiguous, an action or checkpoint is malformed, or no protocol/metadata is present.",
    fix: "Restore the quoted log file from a backup or re-create the table; do not edit _delta_log/ by hand.",
  },
  STRATA_ERR_DELTA_VERSION_NOT_FOUND: {
    summary:
      "The requested Delta version or timestamp is not in the table's history (beyond the latest version, before the first commit, or its log was cleaned up).",
    fix: "Ask for a version or timestamp listed by the table history (the message quotes the available range).",
  },
  STRATA_ERR_DELTA_UNSUPPORTED_PROTOCOL: {
    summary:
      "The Delta table needs a reader protocol version that Strata does not implement (Strata reads versions 1 to 3).",
    fix: "Read this table with an engine that supports the quoted reader version, or rewrite it with an older protocol.",
  },
  STRATA_ERR_DELTA_UNSUPPORTED_FEATURE: {
    summary:
      "The Delta table uses a reader feature Strata does not implement (column mapping, deletion vectors, v2 checkpoints, timestamp_ntz or an unknown feature).",
    fix: "Read this table with an engine that supports the quoted feature, or rewrite it without that feature (e.g. purge deletion vectors, disable column mapping).",
  },
  STRATA_ERR_DELTA_DATA_FILE_MISSING: {
    summary:
      "A data file the Delta snapshot references does not exist (typically removed by VACUUM for an old version).",
    fix: "Read a newer version of the table; old versions whose files were vacuumed cannot be read.",
  },
  STRATA_ERR_DELTA_UNREADABLE_DATA_FILE: {
    summary: "A Delta data file could not be read as Parquet, or its columns do not match the table schema.",
    fix: "Check the quoted file; rewrite it (or restore it) with the table's schema.",
  },
  // --- warehouse and gold SQL project -----------------------------------------------------------
  STRATA_ERR_WAREHOUSE: {
    summary: "The warehouse refused or failed a SQL statement.",
    fix: "Read the quoted statement and the warehouse's message; fix the model or test SQL (or the source data) and re-run.",
  },
  STRATA_ERR_SQL_UNKNOWN_REF: {
    summary: "A SQL model or test refers to a model or source that the SQL project does not define.",
    fix: "Fix the name in {{ ref('...') }} / {{ source('...', '...') }} (see the suggestion) or add the missing model file.",
  },
  STRATA_ERR_SQL_PROJECT: {
    summary:
      "A SQL model, test or generic-test declaration is malformed (config header, template tag, name or option).",
    fix: "Correct the quoted file and tag as the message says; model names are identifiers and config values are quoted literals.",
  },
} as const satisfies Record<string, { summary: string; fix: string }>;

export type ErrorCode = keyof typeof errorCatalog;

const brand = Symbol.for("strata.error");

/** A coded error. Use `StrataError.is(e)` rather than instanceof: it also works across module copies. */
export class StrataError extends Error {
  readonly [brand] = true;
  readonly code: ErrorCode;
  readonly fix: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    const fix = errorCatalog[code].fix;
    super(`${code}: ${message} Fix: ${fix}`, options);
    this.name = "StrataError";
    this.code = code;
    this.fix = fix;
    this.details = details;
  }

  static is(value: unknown, code?: ErrorCode): value is StrataError {
    if (!(value instanceof Error) || !(brand in value) || value[brand] !== true) return false;
    return code === undefined || ("code" in value && value.code === code);
  }
}

/** Quote a user-supplied value for an error message, bounded so a huge value stays readable. */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const shown = text === undefined ? String(value) : text;
  return JSON.stringify(shown.length > 200 ? `${shown.slice(0, 200)}…` : shown);
}

/** Turn anything thrown into an Error with a message, without losing a StrataError's code. */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : JSON.stringify(thrown));
}
