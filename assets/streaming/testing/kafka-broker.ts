/**
 * Test helper: a real Kafka broker (KRaft) started through infra/local/kafka.sh, with its own state
 * folder so test files do not share ports or data. A watchdog in the script removes the broker if
 * the test process dies before `stop()`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../../../infra/local/kafka.sh", import.meta.url));

/** The first install resolves ~45 jars from Maven Central; a start takes 5-15 s on 2 busy cores. */
export const KAFKA_START_TIMEOUT_MS = 10 * 60_000;

export interface KafkaBroker {
  readonly brokers: string;
  /** SIGKILL the broker, keeping its data (an outage). */
  kill(): Promise<void>;
  /** Start the killed broker again on the same port and data. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export async function startKafka(): Promise<KafkaBroker> {
  const state = mkdtempSync(join(tmpdir(), "strata-kafka-state-"));
  const env = { ...process.env, STRATA_KAFKA_STATE: state, STRATA_KAFKA_WATCH_PID: String(process.pid) };
  const call = async (command: string): Promise<string> =>
    (
      await run("bash", [script, command], {
        env,
        timeout: KAFKA_START_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      })
    ).stdout;
  await call("start");
  const line = (await call("env")).trim();
  const brokers = line.replace(/^STRATA_KAFKA_BROKERS=/, "");
  return {
    brokers,
    kill: async () => {
      await call("kill");
    },
    resume: async () => {
      await call("resume");
    },
    stop: async () => {
      await call("stop");
    },
  };
}
