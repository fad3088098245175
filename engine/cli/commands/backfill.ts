import { StrataError } from "../../errors.ts";
import { parseFlags, stringFlag } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { ProgressDisplay } from "../progress.ts";

const usage =
  "strata backfill --select <selection> --from <key> --to <key> | --resume <id> | --cancel <id> | --list";

export const backfillCommand: CliCommand = {
  summary: "Materialise a partition range as a durable, resumable, cancellable backfill",
  usage,
  async run(args, io, open) {
    const parsed = parseFlags(
      args,
      {
        select: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        resume: { type: "string" },
        cancel: { type: "string" },
        list: { type: "boolean" },
      },
      usage,
    );
    const { backfills, storage, materializer } = await open();
    if (parsed.flags.list) {
      for (const b of await storage.listBackfills(20)) {
        io.out(
          `${b.backfillId}  ${b.status.padEnd(9)}  ${b.selection}  ${b.completed.length}/${b.partitions.length} done, ${b.failed.length} failed`,
        );
      }
      return 0;
    }
    const cancel = stringFlag(parsed, "cancel");
    if (cancel !== undefined) {
      const cancelled = await backfills.cancel(cancel);
      io.out(
        `backfill ${cancelled.backfillId} cancelled after ${cancelled.completed.length}/${cancelled.partitions.length} partitions`,
      );
      return 0;
    }
    let backfillId = stringFlag(parsed, "resume");
    if (backfillId === undefined) {
      const selection = stringFlag(parsed, "select");
      const from = stringFlag(parsed, "from");
      const to = stringFlag(parsed, "to");
      if (selection === undefined || from === undefined || to === undefined)
        throw new StrataError("STRATA_ERR_USAGE", `need --select, --from and --to. Usage: ${usage}`);
      const created = await backfills.create({ selection, from, to });
      backfillId = created.backfillId;
      io.out(
        `backfill ${backfillId}: ${created.partitions.length} partitions (${from}..${to}); resume with --resume ${backfillId}`,
      );
    }
    const record = await storage.getBackfill(backfillId);
    const progress = new ProgressDisplay(
      io,
      (record?.partitions.length ?? 0) * (record?.assetKeys.length ?? 0),
    );
    const unsubscribe = materializer.onEvent(progress.onEvent);
    const onSignal = (): void => {
      void backfills.cancel(backfillId).catch(() => undefined);
    };
    process.once("SIGINT", onSignal);
    try {
      const result = await backfills.run(backfillId);
      progress.stop();
      io.out(
        `backfill ${result.backfillId} ${result.status}: ${result.completed.length}/${result.partitions.length} partitions done, failed: ${result.failed.join(", ") || "none"}`,
      );
      return result.status === "completed" ? 0 : 1;
    } finally {
      process.off("SIGINT", onSignal);
      progress.stop();
      unsubscribe();
    }
  },
};
