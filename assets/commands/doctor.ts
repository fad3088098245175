import { type CliCommand, type CliIO, parseFlags } from "../../engine/index.ts";
import { checkConfig, checkConnectivity, type Finding } from "./doctor-checks.ts";

const usage = "strata doctor [--connectivity]";

const LABEL: Readonly<Record<Finding["severity"], string>> = { ok: "ok   ", warn: "warn ", error: "ERROR" };

/** Prints the report; the exit code is 1 when any finding is an error. */
export async function doctor(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  options: { connectivity: boolean },
  io: CliIO,
): Promise<number> {
  const { findings, config } = checkConfig(env, cwd);
  if (options.connectivity) {
    if (config === undefined) {
      findings.push({
        severity: "error",
        subject: "connectivity",
        message: "not tested: fix the configuration first",
      });
    } else {
      findings.push(...(await checkConnectivity(config)));
    }
  }
  io.out("strata doctor");
  for (const item of findings) io.out(`  ${LABEL[item.severity]} ${item.subject}: ${item.message}`);
  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.filter((f) => f.severity === "warn").length;
  io.out(
    `${errors} error(s), ${warnings} warning(s)${options.connectivity ? "" : " (connectivity not tested: --connectivity)"}`,
  );
  return errors > 0 ? 1 : 0;
}

/** Validates configuration (required settings per lake kind, formats, unsafe values) and optionally connectivity. */
export const doctorCommand: CliCommand = {
  summary:
    "Check the configuration for problems and unsafe values; --connectivity also round-trips the lake and probes Kafka (when STRATA_KAFKA_BROKERS is set)",
  usage,
  needsWorkspace: false,
  async run(args, io) {
    const parsed = parseFlags(args, { connectivity: { type: "boolean" } }, usage);
    return doctor(process.env, process.cwd(), { connectivity: parsed.flags.connectivity === true }, io);
  },
};
