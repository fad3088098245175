import { Daemon } from "../../daemon/daemon.ts";
import { intFlag, parseFlags } from "../args.ts";
import type { CliCommand } from "../command.ts";

export const daemonCommand: CliCommand = {
  summary: "Run sensors, schedules, automation and queued runs until interrupted",
  usage: "strata daemon [--interval-ms <n>] [--max-runs <n>] [--retention-days <n>]",
  async run(args, io, open) {
    const parsed = parseFlags(
      args,
      {
        "interval-ms": { type: "string" },
        "max-runs": { type: "string" },
        "retention-days": { type: "string" },
      },
      this.usage,
    );
    const workspace = await open();
    const daemon = new Daemon(
      workspace.storage,
      workspace.materializer,
      workspace.backfills,
      workspace.clock,
      {
        loopIntervalMs: intFlag(parsed, "interval-ms", 1000),
        maxConcurrentRuns: intFlag(parsed, "max-runs", 2),
        onError: (error) => io.err(`daemon: ${error.message}`),
        retention: {
          runDays: intFlag(parsed, "retention-days", 30),
          tickDays: intFlag(parsed, "retention-days", 30),
        },
      },
    );
    const { sensors, schedules } = workspace.definitions;
    io.out(`daemon started: ${sensors.length} sensors, ${schedules.length} schedules (Ctrl-C to stop)`);
    const unsubscribe = workspace.materializer.onEvent((event) => {
      if (event.type.startsWith("RUN_") && event.type !== "RUN_QUEUED")
        io.out(`${event.type} ${event.runId} ${event.message}`);
    });
    daemon.start();
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    io.out("stopping: waiting for running runs to finish");
    await daemon.stop();
    unsubscribe();
    await workspace.close();
    return 0;
  },
};
