import { buildPlan } from "../../execution/plan.ts";
import { selectAssets } from "../../graph/selection.ts";
import { intFlag, parseFlags, requireFlag, stringFlag } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { ProgressDisplay } from "../progress.ts";

const usage =
  "strata materialize --select <selection> [--partition <key> | --from <key> --to <key>] [--concurrency <n>]";

export const materializeCommand: CliCommand = {
  summary: "Materialise a selection of assets now, showing live progress",
  usage,
  async run(args, io, open) {
    const parsed = parseFlags(
      args,
      {
        select: { type: "string" },
        partition: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        concurrency: { type: "string" },
      },
      usage,
    );
    const selection = requireFlag(parsed, "select", usage);
    const partition = stringFlag(parsed, "partition");
    const from = stringFlag(parsed, "from");
    const to = stringFlag(parsed, "to");
    const concurrency = intFlag(parsed, "concurrency", 4);
    const workspace = await open({ concurrency });
    const { materializer, definitions, clock } = workspace;
    const request = {
      selection,
      origin: { kind: "manual" as const, name: "cli" },
      ...(partition !== undefined && { partition }),
      ...(from !== undefined && { partitionRange: { from, to: to ?? from } }),
    };
    const total = buildPlan(
      definitions.graph,
      selectAssets(definitions.graph, selection),
      request,
      clock.now(),
    ).length;
    const progress = new ProgressDisplay(io, total);
    const unsubscribe = materializer.onEvent(progress.onEvent);
    try {
      const result = await materializer.materialize(request);
      progress.stop();
      const counts = [...result.steps.values()].reduce<Record<string, number>>((acc, outcome) => {
        acc[outcome.status] = (acc[outcome.status] ?? 0) + 1;
        return acc;
      }, {});
      io.out(
        `run ${result.runId} ${result.status.toUpperCase()} (${Object.entries(counts)
          .map(([s, n]) => `${n} ${s}`)
          .join(", ")})`,
      );
      if (result.status !== "success") io.err(`see the failures with: strata logs ${result.runId}`);
      return result.status === "success" ? 0 : 1;
    } finally {
      progress.stop();
      unsubscribe();
    }
  },
};
