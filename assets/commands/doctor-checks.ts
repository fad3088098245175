import { randomUUID } from "node:crypto";
import { StrataError } from "../../engine/index.ts";
import { type KafkaConfig, loadConfig, type StrataConfig } from "../../resources/config/config.ts";
import { LAKE_KEYS, S3_ONLY_KEYS } from "../../resources/config/lake-config.ts";
import { kafkaConfigured, probeKafka } from "../../resources/kafka/kafka.ts";
import type { ObjectStore } from "../../resources/object-store/object-store.ts";
import { describeLake, openLake } from "../../resources/object-store/open-lake.ts";

export type Severity = "ok" | "warn" | "error";

export interface Finding {
  readonly severity: Severity;
  readonly subject: string;
  readonly message: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Credentials that ship as defaults (MinIO's, tutorials'): never acceptable on a real lake. */
const DEFAULT_SECRETS = new Set([
  "minioadmin",
  "minio123",
  "minio",
  "admin",
  "password",
  "changeme",
  "secret",
]);
/** Values left from a template: `<bucket>`, `${VAR}`, `{{ var }}`, TODO/CHANGEME/xxx. */
const PLACEHOLDER = /<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|^(todo|tbd|changeme|replace[-_ ]?me|x{3,})$/i;

const finding = (severity: Severity, subject: string, message: string): Finding => ({
  severity,
  subject,
  message,
});

/** Shows whose key it is without disclosing it. */
function masked(value: string): string {
  return value.length <= 4 ? "****" : `${value.slice(0, 4)}…`;
}

function isLoopback(endpoint: string): boolean {
  return /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\/?$/i.test(endpoint);
}

function placeholders(env: Env): Finding[] {
  return Object.entries(env)
    .filter(([key, value]) => key.startsWith("STRATA_") && value !== undefined && PLACEHOLDER.test(value))
    .map(([key]) => finding("error", key, "still holds a template placeholder; set a real value"));
}

function lakeFindings(config: StrataConfig, env: Env): Finding[] {
  const lake = config.lake;
  if (lake.kind === "local") {
    const ignored = S3_ONLY_KEYS.filter((key) => env[key] !== undefined);
    return [
      finding("ok", "lake", `local folder ${lake.root}`),
      ...(ignored.length > 0
        ? [
            finding(
              "warn",
              "lake",
              `${ignored.join(", ")} set but ${LAKE_KEYS.lake} is a local folder: they are ignored (did you mean ${LAKE_KEYS.lake}=s3://<bucket>/<prefix>?)`,
            ),
          ]
        : []),
    ];
  }
  const { s3 } = lake;
  const out: Finding[] = [
    finding(
      "ok",
      "lake",
      `${lake.url} (region ${s3.region}${s3.endpoint === undefined ? "" : `, endpoint ${s3.endpoint}`})`,
    ),
  ];
  if (s3.credentials === undefined) {
    out.push(
      finding("ok", "credentials", "AWS default credential chain (environment, profile, instance role)"),
    );
  } else {
    const { accessKeyId, secretAccessKey } = s3.credentials;
    if (
      DEFAULT_SECRETS.has(accessKeyId.toLowerCase()) ||
      DEFAULT_SECRETS.has(secretAccessKey.toLowerCase())
    ) {
      out.push(
        finding(
          "error",
          "credentials",
          `${LAKE_KEYS.accessKeyId}/${LAKE_KEYS.secretAccessKey} use a well-known default (e.g. minioadmin); create a dedicated user with its own secret`,
        ),
      );
    } else if (secretAccessKey.length < 16) {
      out.push(finding("warn", "credentials", `${LAKE_KEYS.secretAccessKey} is shorter than 16 characters`));
    } else {
      out.push(finding("ok", "credentials", `static key ${masked(accessKeyId)} (secret not shown)`));
    }
  }
  if (s3.endpoint?.startsWith("http://") === true && !isLoopback(s3.endpoint)) {
    out.push(
      finding(
        "warn",
        "endpoint",
        `${s3.endpoint} is plain HTTP on the network: data and signed requests travel unencrypted; use https://`,
      ),
    );
  }
  out.push(
    s3.sse === "none"
      ? finding(
          "warn",
          "encryption",
          `${LAKE_KEYS.sse}=none: objects rely on the bucket's default encryption`,
        )
      : finding("ok", "encryption", `server-side encryption ${s3.sse} on every write`),
  );
  return out;
}

/** Configuration checks: every problem of loadConfig, then safety of the values it accepted. */
export function checkConfig(env: Env, cwd: string): { findings: Finding[]; config?: StrataConfig } {
  const found = placeholders(env);
  try {
    const config = loadConfig(env, cwd);
    return { findings: [...found, ...lakeFindings(config, env)], config };
  } catch (error) {
    if (!StrataError.is(error, "STRATA_ERR_CONFIG")) throw error;
    const problems = Array.isArray(error.details.problems)
      ? error.details.problems.map(String)
      : [error.message];
    return { findings: [...found, ...problems.map((problem) => finding("error", "config", problem))] };
  }
}

async function step<T>(name: string, work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  try {
    return { value: await work(), ms: performance.now() - started };
  } catch (error) {
    throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * A real round trip on the lake under `_strata/doctor/`: put, list, get, put-if-absent (must refuse
 * the existing key: Delta commits depend on it), delete. Leaves nothing behind when it succeeds.
 */
export async function roundTrip(store: ObjectStore): Promise<Finding[]> {
  const key = `_strata/doctor/${randomUUID()}.txt`;
  const body = new TextEncoder().encode(`strata doctor ${new Date().toISOString()}`);
  const timings: string[] = [];
  try {
    timings.push(
      `put ${(await step("put", () => store.put(key, body, { contentType: "text/plain" }))).ms.toFixed(0)} ms`,
    );
    const listed = await step("list", async () => {
      for await (const info of store.list("_strata/doctor/")) if (info.key === key) return true;
      return false;
    });
    if (!listed.value) throw new Error("list: the object just written is not listed");
    timings.push(`list ${listed.ms.toFixed(0)} ms`);
    const read = await step("get", () => store.get(key));
    if (Buffer.compare(Buffer.from(read.value), Buffer.from(body)) !== 0)
      throw new Error("get: the object read back differs from the one written");
    timings.push(`get ${read.ms.toFixed(0)} ms`);
    const refused = await step("put-if-absent", () => store.putIfAbsent(key, body));
    if (refused.value)
      throw new Error(
        "put-if-absent: the store overwrote an existing key; it does not honour If-None-Match, so concurrent Delta commits would be lost",
      );
    timings.push(`put-if-absent ${refused.ms.toFixed(0)} ms`);
    timings.push(`delete ${(await step("delete", () => store.delete(key))).ms.toFixed(0)} ms`);
    return [finding("ok", "connectivity", `lake round trip: ${timings.join(", ")}`)];
  } catch (error) {
    await store.delete(key).catch(() => undefined);
    return [finding("error", "connectivity", error instanceof Error ? error.message : String(error))];
  }
}

/**
 * Kafka, when STRATA_KAFKA_BROKERS is set: the brokers answer, the topic exists, and the consumer
 * group's lag. A failure is one coded error (its message carries the code and the fix).
 */
export async function kafkaFindings(kafka: KafkaConfig): Promise<Finding[]> {
  if (!kafkaConfigured(kafka)) return [];
  try {
    const probe = await probeKafka(kafka);
    const { group } = probe;
    const lagLine = `group ${kafka.groupId}: lag ${group.lag} record(s) (state ${group.state}, ${group.members} member(s))`;
    return [
      finding(
        "ok",
        "kafka",
        `${kafka.brokers.join(",")} reachable in ${probe.connectMs.toFixed(0)} ms (cluster ${probe.clusterId}, broker(s) ${probe.brokers.join(", ")})`,
      ),
      finding(
        "ok",
        "kafka topic",
        `${kafka.topic}: ${probe.partitions} partition(s), ${probe.records} record(s)`,
      ),
      group.committedPartitions === 0
        ? finding(
            "warn",
            "kafka group",
            `group ${kafka.groupId} has no committed offsets on ${kafka.topic} yet: the first ingestion reads the topic from the beginning (${group.lag} record(s)); if the stream already ran under another name, set STRATA_KAFKA_GROUP_ID to it`,
          )
        : group.lag > 10 * kafka.batchMaxRecords
          ? finding(
              "warn",
              "kafka group",
              `${lagLine}: the ingestion is behind; is \`strata stream\` or the daemon (kafka sensor) running?`,
            )
          : finding("ok", "kafka group", lagLine),
    ];
  } catch (error) {
    return [finding("error", "kafka", error instanceof Error ? error.message : String(error))];
  }
}

export async function checkConnectivity(config: StrataConfig): Promise<Finding[]> {
  const lake = openLake(config.lake);
  try {
    const lakeFindings = (await roundTrip(lake.store)).map((f) => ({
      ...f,
      message: `${describeLake(config.lake)}: ${f.message}`,
    }));
    return [...lakeFindings, ...(await kafkaFindings(config.kafka))];
  } finally {
    lake.close();
  }
}
