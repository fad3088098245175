import { type CliCommand, intFlag, parseFlags, quote, StrataError, stringFlag } from "../engine/index.ts";
import { uiSetting } from "./auth.ts";

function port(value: string | undefined): number {
  const number = Number(value ?? 3000);
  if (!Number.isInteger(number) || number < 0 || number > 65_535)
    throw new StrataError("STRATA_ERR_USAGE", `--port ${quote(value)} must be an integer from 0 to 65535.`);
  return number;
}

/**
 * `strata dev`: the asset UI and the daemon in one process, bound to 127.0.0.1 unless told
 * otherwise. Prints the start-up time (process start → listening) and the token notice.
 */
export const devCommand: CliCommand = {
  summary: "Start the asset UI and API with the daemon (sensors, schedules, automation) in one process",
  usage: "strata dev [--host 127.0.0.1] [--port 3000] [--no-daemon] [--interval-ms <n>] [--max-runs <n>]",
  async run(args, io, open) {
    const parsed = parseFlags(
      args,
      {
        host: { type: "string" },
        port: { type: "string" },
        "no-daemon": { type: "boolean" },
        "interval-ms": { type: "string" },
        "max-runs": { type: "string" },
      },
      this.usage,
    );
    const opened = performance.now();
    // The server's modules (fastify, routes) load only for `dev`, and while the workspace opens:
    // every other strata command stays as fast as before.
    const [workspace, { startDev, tokenNotice }] = await Promise.all([open(), import("./dev.ts")]);
    const openMs = performance.now() - opened;
    const server = await startDev(workspace, {
      host: stringFlag(parsed, "host") ?? uiSetting("STRATA_UI_HOST") ?? "127.0.0.1",
      port: port(stringFlag(parsed, "port") ?? uiSetting("STRATA_UI_PORT")),
      daemon: parsed.flags["no-daemon"] !== true,
      loopIntervalMs: intFlag(parsed, "interval-ms", 1000),
      maxConcurrentRuns: intFlag(parsed, "max-runs", 2),
      log: (line) => io.err(line),
    });
    const total = process.uptime() * 1000;
    const { graph, sensors, schedules } = workspace.definitions;
    io.out(
      `strata dev: ${server.url}  (${graph.order.length} assets, ${sensors.length} sensors, ${schedules.length} schedules)`,
    );
    io.out(
      `started in ${total.toFixed(0)} ms from process start (definitions, storage and server modules ${openMs.toFixed(0)} ms, server ${server.listenMs.toFixed(0)} ms); daemon ${parsed.flags["no-daemon"] === true ? "off" : "on"}`,
    );
    io.out(tokenNotice(server.token));
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    io.out("stopping: waiting for running runs to finish");
    await server.close();
    return 0;
  },
};
