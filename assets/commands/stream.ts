import { type CliCommand, parseFlags, StrataError } from "../../engine/index.ts";
import { loadConfig } from "../../resources/config/config.ts";
import { LakeDeltaTables } from "../../resources/delta/delta-tables.ts";
import { kafkaConfigured, NO_BROKER } from "../../resources/kafka/kafka.ts";
import { openLake } from "../../resources/object-store/open-lake.ts";
import { KafkaIngestor } from "../streaming/ingestor.ts";

const usage = "strata stream [--quiet]";

/**
 * The long-running consumer: Kafka → Bronze JSONL → Silver until SIGINT/SIGTERM (then it flushes
 * and leaves the group). Lowest latency; the daemon's Kafka sensor does the same in micro-batch runs.
 */
export const streamCommand: CliCommand = {
  summary: "Consume sales_events continuously into Bronze and Silver (exactly-once), until stopped",
  usage,
  needsWorkspace: false,
  async run(args, io) {
    const parsed = parseFlags(args, { quiet: { type: "boolean" } }, usage);
    const config = loadConfig();
    if (!kafkaConfigured(config.kafka)) throw new StrataError("STRATA_ERR_KAFKA_NOT_CONFIGURED", NO_BROKER);
    const { store: lake } = openLake(config.lake);
    const quiet = parsed.flags.quiet === true;
    const ingestor = new KafkaIngestor({
      kafka: config.kafka,
      lake,
      tables: new LakeDeltaTables(lake),
      silver: config.silver,
      log: (line) => {
        if (!quiet) io.out(line);
      },
    });
    await ingestor.start();
    io.out(
      `streaming ${config.kafka.topic} from ${config.kafka.brokers.join(",")} (group ${config.kafka.groupId})`,
    );
    await new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    await ingestor.stop();
    io.out("stopped");
    return 0;
  },
};
