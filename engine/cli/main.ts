import { errorCatalog, StrataError } from "../errors.ts";
import type { CliCommand, CliIO } from "./command.ts";
import { backfillCommand } from "./commands/backfill.ts";
import { daemonCommand } from "./commands/daemon.ts";
import { graphCommand, listCommand, logsCommand, runsCommand } from "./commands/inspect.ts";
import { materializeCommand } from "./commands/materialize.ts";
import {
  type DefinitionsModule,
  importDefinitionsModule,
  openWorkspace,
  type Workspace,
} from "./workspace.ts";

const engineCommands: Readonly<Record<string, CliCommand>> = {
  list: listCommand,
  graph: graphCommand,
  materialize: materializeCommand,
  runs: runsCommand,
  logs: logsCommand,
  backfill: backfillCommand,
  daemon: daemonCommand,
};

const processIO: CliIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isTTY: process.stdout.isTTY === true,
};

function help(io: CliIO, commands: Readonly<Record<string, CliCommand>>): void {
  io.out("usage: strata [--definitions <module>] [--state-dir <dir>] <command> [flags]\n");
  for (const [name, command] of Object.entries(commands))
    io.out(`  ${name.padEnd(12)} ${command.summary}\n  ${" ".repeat(12)} ${command.usage}`);
}

/** Split leading global flags from the command and its arguments. */
function globalFlags(argv: readonly string[]): { definitions?: string; stateDir?: string; rest: string[] } {
  const rest = [...argv];
  const out: { definitions?: string; stateDir?: string } = {};
  while (rest[0]?.startsWith("--")) {
    const flag = rest.shift();
    const value = rest.shift();
    if (value === undefined) throw new StrataError("STRATA_ERR_USAGE", `flag ${flag} needs a value.`);
    if (flag === "--definitions") out.definitions = value;
    else if (flag === "--state-dir") out.stateDir = value;
    else throw new StrataError("STRATA_ERR_USAGE", `unknown global flag ${JSON.stringify(flag)}.`);
  }
  return { ...out, rest };
}

export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const { definitions, stateDir, rest } = globalFlags(argv);
  const [name, ...args] = rest;
  let module: DefinitionsModule | undefined;
  const loadModule = async (): Promise<DefinitionsModule> => {
    module ??= await importDefinitionsModule(definitions);
    return module;
  };
  // Help lists the definitions module's commands too; a module that does not load still leaves the engine's.
  const listing = name === undefined || name === "help";
  let pipelineCommands: Readonly<Record<string, CliCommand>> = {};
  if (listing) {
    try {
      pipelineCommands = (await loadModule()).commands ?? {};
    } catch (error) {
      io.err(`(the definitions module did not load, so only engine commands are listed: ${String(error)})`);
    }
  } else if (!(name in engineCommands)) {
    pipelineCommands = (await loadModule()).commands ?? {};
  }
  const commands = { ...engineCommands, ...pipelineCommands };
  const command = name === undefined ? undefined : commands[name];
  if (command === undefined) {
    help(io, commands);
    if (name !== undefined && name !== "help") {
      throw new StrataError("STRATA_ERR_USAGE", `unknown command ${JSON.stringify(name)}.`);
    }
    return name === undefined ? 2 : 0;
  }
  let workspace: Workspace | undefined;
  const open = async (options: { concurrency?: number } = {}): Promise<Workspace> => {
    workspace ??= await openWorkspace(await loadModule(), {
      ...options,
      ...(stateDir !== undefined && { stateDir }),
    });
    return workspace;
  };
  try {
    return await command.run(args, io, open);
  } finally {
    await workspace?.close();
  }
}

if (process.argv[1] !== undefined && /(strata\.js|cli\/main\.ts)$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (StrataError.is(error)) {
        processIO.err(`error ${error.code}: ${error.message.replace(`${error.code}: `, "")}`);
      } else {
        processIO.err(
          `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
      process.exit(StrataError.is(error) && error.code in errorCatalog ? 1 : 70);
    },
  );
}
