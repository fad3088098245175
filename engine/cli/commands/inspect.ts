import { layerOf } from "../../definitions/asset-key.ts";
import { quote, StrataError } from "../../errors.ts";
import { intFlag, parseFlags } from "../args.ts";
import type { CliCommand } from "../command.ts";

const time = (ms: number | undefined): string =>
  ms === undefined ? "-" : new Date(ms).toISOString().replace("T", " ").slice(0, 19);

export const listCommand: CliCommand = {
  summary: "List assets with layer, group, partitions, automation and checks",
  usage: "strata list [--partitions]",
  async run(args, io, open) {
    const parsed = parseFlags(args, { partitions: { type: "boolean" } }, this.usage);
    const { definitions, storage, clock } = await open();
    for (const key of definitions.graph.order) {
      const spec = definitions.graph.definition(key).spec;
      const latest = await storage.latestMaterialization(key);
      const checks = (definitions.checks.get(key) ?? []).map((c) => c.name);
      const parts = [
        key.padEnd(36),
        `layer=${layerOf(key)}`,
        spec.group ? `group=${spec.group}` : "",
        spec.partitions ? `partitions=${spec.partitions.kind}` : "",
        spec.automation ? `automation=${spec.automation.kind}` : "",
        checks.length > 0 ? `checks=${checks.length}` : "",
        `last=${time(latest?.timestamp)}`,
      ];
      io.out(parts.filter((p) => p !== "").join("  "));
      if (parsed.flags.partitions && spec.partitions) {
        const statuses = await storage.partitionStatuses(key);
        const keys = spec.partitions.keys(clock.now());
        const shown = keys.length > 10 ? [...keys.slice(0, 5), "…", ...keys.slice(-5)] : keys;
        io.out(
          `    ${keys.length} partitions: ${shown.map((k) => `${k}:${statuses.get(k) ?? "missing"}`).join(" ")}`,
        );
      }
    }
    return 0;
  },
};

export const graphCommand: CliCommand = {
  summary: "Print the asset graph as a text tree",
  usage: "strata graph",
  async run(_args, io, open) {
    const { graph } = (await open()).definitions;
    const printed = new Set<string>();
    const print = (key: (typeof graph.order)[number], depth: number): void => {
      const again = printed.has(key);
      io.out(
        `${"  ".repeat(depth)}${depth > 0 ? "└─ " : ""}${key}${again && graph.downstream(key).length > 0 ? " …" : ""}`,
      );
      if (again) return;
      printed.add(key);
      for (const child of graph.downstream(key)) print(child, depth + 1);
    };
    for (const root of graph.order.filter((key) => graph.upstream(key).length === 0)) print(root, 0);
    return 0;
  },
};

export const runsCommand: CliCommand = {
  summary: "List recent runs",
  usage: "strata runs [--limit <n>]",
  async run(args, io, open) {
    const parsed = parseFlags(args, { limit: { type: "string" } }, this.usage);
    const { storage } = await open();
    for (const run of await storage.listRuns({ limit: intFlag(parsed, "limit", 20) })) {
      const partition =
        run.partition ?? (run.partitionRange ? `${run.partitionRange.from}..${run.partitionRange.to}` : "");
      io.out(
        [
          run.runId,
          run.status.padEnd(8),
          time(run.createdAt),
          run.origin?.kind ?? "manual",
          run.selection,
          partition,
        ].join("  "),
      );
    }
    return 0;
  },
};

export const logsCommand: CliCommand = {
  summary: "Show a run's events and logs",
  usage: "strata logs <run-id>",
  async run(args, io, open) {
    const [runId] = parseFlags(args, {}, this.usage).positionals;
    if (runId === undefined)
      throw new StrataError("STRATA_ERR_USAGE", `missing run id. Usage: ${this.usage}`);
    const { storage } = await open();
    const run = await storage.getRun(runId);
    if (!run) throw new StrataError("STRATA_ERR_UNKNOWN_RUN", `run ${quote(runId)} does not exist.`);
    io.out(`run ${run.runId}: ${run.status}${run.error ? ` — ${run.error}` : ""}`);
    for (const event of await storage.listEvents(runId)) {
      const where = event.assetKey
        ? ` ${event.assetKey}${event.partition ? `[${event.partition}]` : ""}`
        : "";
      io.out(`${time(event.timestamp)} ${event.type.padEnd(21)}${where} ${event.message}`);
    }
    return run.status === "failure" ? 1 : 0;
  },
};
