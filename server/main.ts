/**
 * The server on its own: `tsx server/main.ts [--definitions <module>] [--state-dir <dir>] [dev flags]`
 * is `strata dev` for any definitions module, whether or not the module registers `dev` itself.
 */
import { importDefinitionsModule, openWorkspace, type Workspace } from "../engine/cli/workspace.ts";
import { type CliIO, StrataError } from "../engine/index.ts";
import { devCommand } from "./dev-command.ts";

const io: CliIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isTTY: process.stdout.isTTY === true,
};

async function run(argv: readonly string[]): Promise<number> {
  const rest = [...argv];
  const global: { definitions?: string; stateDir?: string } = {};
  for (const flag of ["--definitions", "--state-dir"] as const) {
    const at = rest.indexOf(flag);
    if (at === -1) continue;
    const [, value] = rest.splice(at, 2);
    if (value === undefined) throw new StrataError("STRATA_ERR_USAGE", `flag ${flag} needs a value.`);
    if (flag === "--definitions") global.definitions = value;
    else global.stateDir = value;
  }
  const module = await importDefinitionsModule(global.definitions);
  let workspace: Workspace | undefined;
  try {
    return await devCommand.run(rest, io, async () => {
      workspace ??= await openWorkspace(
        module,
        global.stateDir === undefined ? {} : { stateDir: global.stateDir },
      );
      return workspace;
    });
  } finally {
    await workspace?.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    io.err(StrataError.is(error) ? `error ${error.message}` : `unexpected error: ${String(error)}`);
    process.exit(1);
  },
);
