import {
  type CliCommand,
  intFlag,
  parseFlags,
  requireFlag,
  StrataError,
  stringFlag,
} from "../../engine/index.ts";
import { formatExpectedCounts, generateSalesCsv } from "../data-gen/index.ts";

const usage = "strata generate --rows <n> --seed <s> [--errors <fraction>] --out <file.csv>";

/** Deterministic Superstore-like CSV with injected errors; prints the expected count per rejection reason. */
export const generateCommand: CliCommand = {
  summary: "Write deterministic sample sales CSV with injected errors and print the expected counts",
  usage,
  needsWorkspace: false,
  async run(args, io) {
    const parsed = parseFlags(
      args,
      {
        rows: { type: "string" },
        seed: { type: "string" },
        errors: { type: "string" },
        out: { type: "string" },
      },
      usage,
    );
    const errors = Number(stringFlag(parsed, "errors") ?? "0");
    if (!(errors >= 0 && errors <= 1))
      throw new StrataError(
        "STRATA_ERR_USAGE",
        `--errors ${JSON.stringify(stringFlag(parsed, "errors"))} must be a fraction within 0..1.`,
      );
    const generated = generateSalesCsv({
      rows: intFlag(parsed, "rows", 51_290),
      seed: intFlag(parsed, "seed", 1),
      errors,
      outPath: requireFlag(parsed, "out", usage),
    });
    io.out(`wrote ${generated.path} (${generated.bytes} bytes)`);
    io.out(formatExpectedCounts(generated));
    return 0;
  },
};
