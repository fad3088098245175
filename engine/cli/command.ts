import type { Workspace } from "./workspace.ts";

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  readonly isTTY: boolean;
}

/** A subcommand: `args` are the words after its name. Returns the process exit code. */
export interface CliCommand {
  readonly summary: string;
  readonly usage: string;
  /** Commands that need no definitions (e.g. `generate`) set this to false. */
  readonly needsWorkspace?: boolean;
  run(
    args: readonly string[],
    io: CliIO,
    workspace: (options?: { concurrency?: number }) => Promise<Workspace>,
  ): Promise<number>;
}
