import { parseArgs } from "node:util";
import { quote, StrataError } from "../errors.ts";

export type FlagSpec = Readonly<
  Record<string, { type: "string" | "boolean"; short?: string; multiple?: false }>
>;

export interface ParsedArgs {
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** node:util parseArgs with Strata's usage error (code + the command's usage line). */
export function parseFlags(args: readonly string[], spec: FlagSpec, usage: string): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: spec,
      allowPositionals: true,
      strict: true,
    });
    const flags: Record<string, string | boolean | undefined> = {};
    for (const [name, value] of Object.entries(values))
      flags[name] = typeof value === "string" || typeof value === "boolean" ? value : undefined;
    return { flags, positionals };
  } catch (error) {
    throw new StrataError(
      "STRATA_ERR_USAGE",
      `${error instanceof Error ? error.message : String(error)}. Usage: ${usage}`,
    );
  }
}

export function stringFlag(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.flags[name];
  return typeof value === "string" ? value : undefined;
}

export function requireFlag(parsed: ParsedArgs, name: string, usage: string): string {
  const value = stringFlag(parsed, name);
  if (value === undefined) throw new StrataError("STRATA_ERR_USAGE", `missing --${name}. Usage: ${usage}`);
  return value;
}

export function intFlag(parsed: ParsedArgs, name: string, fallback: number): number {
  const value = stringFlag(parsed, name);
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new StrataError("STRATA_ERR_USAGE", `--${name} ${quote(value)} must be a positive integer.`);
  return number;
}
