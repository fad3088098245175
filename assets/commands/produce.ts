import { type CliCommand, intFlag, parseFlags, quote, StrataError, stringFlag } from "../../engine/index.ts";
import { loadConfig } from "../../resources/config/config.ts";
import { NO_BROKER } from "../../resources/kafka/kafka.ts";
import { produceEvents } from "../streaming/produce.ts";

const usage =
  "strata produce [--count N] [--rate EVENTS_PER_S] [--burst N] [--brokers host:port,...] [--topic T] [--seed S] [--bad FRACTION] [--partitions N]";

function fraction(value: string | undefined, flag: string): number {
  const n = Number(value ?? "0");
  if (!(n >= 0 && n <= 1))
    throw new StrataError("STRATA_ERR_USAGE", `--${flag} ${quote(value)} must be a fraction within 0..1.`);
  return n;
}

/** PIPELINE §5: send generated point-of-sale events to Kafka (deterministic per seed). */
export const produceCommand: CliCommand = {
  summary: "Send generated sales events to Kafka (count, rate, burst, seed, bad fraction)",
  usage,
  needsWorkspace: false,
  async run(args, io) {
    const parsed = parseFlags(
      args,
      {
        count: { type: "string" },
        rate: { type: "string" },
        burst: { type: "string" },
        brokers: { type: "string" },
        topic: { type: "string" },
        seed: { type: "string" },
        bad: { type: "string" },
        partitions: { type: "string" },
      },
      usage,
    );
    const config = loadConfig();
    const brokerFlag = stringFlag(parsed, "brokers");
    const brokers =
      brokerFlag === undefined ? config.kafka.brokers : brokerFlag.split(",").filter((b) => b !== "");
    if (brokers.length === 0)
      throw new StrataError("STRATA_ERR_KAFKA_NOT_CONFIGURED", `${NO_BROKER}, or pass --brokers.`);
    const result = await produceEvents({
      brokers,
      topic: stringFlag(parsed, "topic") ?? config.kafka.topic,
      count: intFlag(parsed, "count", 1_000),
      rate: intFlag(parsed, "rate", 0),
      burst: intFlag(parsed, "burst", 100),
      seed: intFlag(parsed, "seed", 1),
      badFraction: fraction(stringFlag(parsed, "bad"), "bad"),
      partitions: intFlag(parsed, "partitions", 3),
    });
    io.out(
      `sent ${result.sent} event(s) in ${result.seconds.toFixed(1)} s (${result.retries} retried send(s))`,
    );
    const bad = Object.entries(result.bad);
    io.out(
      bad.length === 0 ? "bad events: none" : `bad events: ${bad.map(([k, n]) => `${k}=${n}`).join(", ")}`,
    );
    return 0;
  },
};
