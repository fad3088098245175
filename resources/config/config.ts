import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { quote, StrataError } from "../../engine/errors.ts";
import { LAKE_KEYS, type LakeConfig, lakeConfig } from "./lake-config.ts";

export type { LakeConfig } from "./lake-config.ts";

/**
 * Strata's configuration, parsed once from a JSON file (optional, `strata.config.json` or
 * STRATA_CONFIG) and the environment (which wins). Every problem is collected and reported in one
 * error, so a misconfigured deployment is fixed in one pass.
 */
export interface StrataConfig {
  /** Run storage, IO manager values and the embedded warehouse live here. */
  readonly stateDir: string;
  /** The lake root: a local folder (embedded default) or s3://bucket/prefix (lake-config.ts). */
  readonly lake: LakeConfig;
  readonly warehouse: {
    readonly kind: "duckdb";
    readonly path: string;
    /** DuckDB worker threads per statement (models build side by side on pooled connections). */
    readonly threads: number;
  };
  readonly silver: {
    readonly dateFormats: readonly string[];
    readonly salesOutlierThreshold: number;
  };
  /** Seconds between landing-zone sensor evaluations. */
  readonly landingSensorIntervalSeconds: number;
  /** Kafka streaming ingestion; `brokers` is empty when Kafka is off (the batch pipeline needs none). */
  readonly kafka: KafkaConfig;
}

export interface KafkaConfig {
  /** `host:port` bootstrap brokers; empty = no broker configured. */
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  /** A Bronze file is closed after this many records of one partition ... */
  readonly batchMaxRecords: number;
  /** ... or this many milliseconds after its first record, whichever comes first. */
  readonly batchMaxMs: number;
  readonly sensorIntervalSeconds: number;
}

type Source = Readonly<Record<string, string | undefined>>;

const KEYS = {
  stateDir: "STRATA_HOME",
  lake: "STRATA_LAKE",
  warehouse: "STRATA_WAREHOUSE",
  warehouseThreads: "STRATA_WAREHOUSE_THREADS",
  dateFormats: "STRATA_DATE_FORMATS",
  outlier: "STRATA_SALES_OUTLIER_THRESHOLD",
  landingInterval: "STRATA_LANDING_SENSOR_INTERVAL_SECONDS",
  kafkaBrokers: "STRATA_KAFKA_BROKERS",
  kafkaTopic: "STRATA_KAFKA_TOPIC",
  kafkaGroup: "STRATA_KAFKA_GROUP_ID",
  kafkaBatchRecords: "STRATA_KAFKA_BATCH_MAX_RECORDS",
  kafkaBatchMs: "STRATA_KAFKA_BATCH_MAX_MS",
  kafkaSensorInterval: "STRATA_KAFKA_SENSOR_INTERVAL_SECONDS",
  // Read by server/ (strata dev), listed so that strata.config.json may hold them too.
  uiToken: "STRATA_UI_TOKEN",
  uiHost: "STRATA_UI_HOST",
  uiPort: "STRATA_UI_PORT",
} as const;

function readConfigFile(path: string, problems: string[]): Source {
  if (!existsSync(path)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      problems.push(`${path} must hold a JSON object of STRATA_* settings`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (![...Object.values(KEYS), ...Object.values(LAKE_KEYS)].some((known) => known === key))
        problems.push(`${path}: unknown setting ${quote(key)}`);
      else if (typeof value === "string" || typeof value === "number") out[key] = String(value);
      else problems.push(`${path}: setting ${quote(key)} must be a string or number`);
    }
    return out;
  } catch (error) {
    problems.push(`${path} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    return {};
  }
}

function positiveNumber(
  value: string | undefined,
  key: string,
  fallback: number,
  problems: string[],
): number {
  if (value === undefined || value === "") return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    problems.push(`${key}=${quote(value)} must be a positive number`);
  return number;
}

function kafkaConfig(get: (key: string) => string | undefined, problems: string[]): KafkaConfig {
  const brokers = (get(KEYS.kafkaBrokers) ?? "")
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
  for (const broker of brokers) {
    if (!/^[^\s:/]+:\d{1,5}$/.test(broker))
      problems.push(`${KEYS.kafkaBrokers}: ${quote(broker)} must be host:port`);
  }
  const name = (key: string, fallback: string): string => {
    const value = get(key) ?? fallback;
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(value))
      problems.push(`${key}=${quote(value)} must be 1-249 letters, digits, '.', '_' or '-'`);
    return value;
  };
  return {
    brokers,
    topic: name(KEYS.kafkaTopic, "sales_events"),
    groupId: name(KEYS.kafkaGroup, "strata-bronze-sales-events"),
    // 1,000 events/s → a file per ~250 ms at most: small enough for p95 event → Silver ≤ 2 s.
    batchMaxRecords: Math.round(
      positiveNumber(get(KEYS.kafkaBatchRecords), KEYS.kafkaBatchRecords, 5_000, problems),
    ),
    batchMaxMs: positiveNumber(get(KEYS.kafkaBatchMs), KEYS.kafkaBatchMs, 250, problems),
    sensorIntervalSeconds: positiveNumber(
      get(KEYS.kafkaSensorInterval),
      KEYS.kafkaSensorInterval,
      1,
      problems,
    ),
  };
}

export function loadConfig(
  env: Source = process.env,
  cwd: string = process.cwd(),
  overrides: { stateDir?: string } = {},
): StrataConfig {
  const problems: string[] = [];
  const file = readConfigFile(resolve(cwd, env.STRATA_CONFIG ?? "strata.config.json"), problems);
  const get = (key: string): string | undefined => env[key] ?? file[key];
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(cwd, path));

  const stateDir = absolute(overrides.stateDir ?? get(KEYS.stateDir) ?? ".strata");
  const lake = lakeConfig(get, join(stateDir, "lake"), cwd, problems);

  const warehouseSetting = get(KEYS.warehouse) ?? `duckdb:${join(stateDir, "warehouse.duckdb")}`;
  const duckdb = /^duckdb:(.+)$/.exec(warehouseSetting);
  if (!duckdb)
    problems.push(`${KEYS.warehouse}=${quote(warehouseSetting)} must be duckdb:<file> or duckdb::memory:`);
  const warehousePath = duckdb?.[1] === ":memory:" ? ":memory:" : absolute(duckdb?.[1] ?? "warehouse.duckdb");

  const threadsSetting = get(KEYS.warehouseThreads);
  const threads = threadsSetting === undefined || threadsSetting === "" ? 1 : Number(threadsSetting);
  if (!Number.isInteger(threads) || threads < 1 || threads > 256)
    problems.push(`${KEYS.warehouseThreads}=${quote(threadsSetting)} must be a whole number from 1 to 256`);

  const dateFormats = (get(KEYS.dateFormats) ?? "%d/%m/%Y,%d-%m-%Y")
    .split(",")
    .map((f) => f.trim())
    .filter((f) => f !== "");
  for (const format of dateFormats) {
    const day = format.indexOf("%d");
    const month = format.indexOf("%m");
    if (day < 0 || month < 0 || !format.includes("%Y"))
      problems.push(`${KEYS.dateFormats}: ${quote(format)} needs %d, %m and %Y`);
    else if (day > month)
      problems.push(
        `${KEYS.dateFormats}: ${quote(format)} is month-first; Strata never guesses between day-first and month-first, list day-first formats only`,
      );
  }

  const kafka = kafkaConfig(get, problems);
  const config: StrataConfig = {
    stateDir,
    lake,
    warehouse: { kind: "duckdb", path: warehousePath, threads },
    silver: {
      dateFormats,
      salesOutlierThreshold: positiveNumber(get(KEYS.outlier), KEYS.outlier, 10_000, problems),
    },
    landingSensorIntervalSeconds: positiveNumber(
      get(KEYS.landingInterval),
      KEYS.landingInterval,
      15,
      problems,
    ),
    kafka,
  };
  if (problems.length > 0) {
    throw new StrataError(
      "STRATA_ERR_CONFIG",
      `configuration has ${problems.length} problem(s):\n  - ${problems.join("\n  - ")}\n`,
      { problems },
    );
  }
  return config;
}
