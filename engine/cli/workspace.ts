import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Definitions, type LoadedDefinitions, loadDefinitions } from "../definitions/definitions.ts";
import { quote, StrataError } from "../errors.ts";
import { Backfills } from "../execution/backfill.ts";
import { type Clock, systemClock } from "../execution/clock.ts";
import { Materializer } from "../execution/materializer.ts";
import type { RunStorage } from "../storage/run-storage.ts";
import { SqliteRunStorage } from "../storage/sqlite-storage.ts";
import type { CliCommand } from "./command.ts";

/** What a definitions module exports: the definitions (or a factory) and optional extra commands. */
export interface DefinitionsModule {
  readonly definitions: Definitions | ((context: DefinitionsContext) => Definitions | Promise<Definitions>);
  readonly commands?: Readonly<Record<string, CliCommand>>;
}

/** What the CLI tells a definitions factory: where state lives (from --state-dir or STRATA_HOME). */
export interface DefinitionsContext {
  readonly stateDir: string;
}

export interface Workspace {
  readonly stateDir: string;
  readonly definitions: LoadedDefinitions;
  readonly storage: RunStorage;
  readonly materializer: Materializer;
  readonly backfills: Backfills;
  readonly clock: Clock;
  close(): Promise<void>;
}

function isDefinitionsModule(value: unknown): value is DefinitionsModule {
  return (
    typeof value === "object" &&
    value !== null &&
    "definitions" in value &&
    (typeof value.definitions === "function" || typeof value.definitions === "object")
  );
}

/** The module named by --definitions, STRATA_DEFINITIONS, or ./assets/definitions.ts. */
export async function importDefinitionsModule(path: string | undefined): Promise<DefinitionsModule> {
  const file = resolve(path ?? process.env.STRATA_DEFINITIONS ?? "assets/definitions.ts");
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (error) {
    if (StrataError.is(error)) throw error;
    throw new StrataError(
      "STRATA_ERR_USAGE",
      `cannot load definitions module ${quote(file)}: ${error instanceof Error ? error.message : String(error)}.`,
      {},
      { cause: error },
    );
  }
  if (!isDefinitionsModule(loaded)) {
    throw new StrataError(
      "STRATA_ERR_USAGE",
      `definitions module ${quote(file)} does not export \`definitions\`.`,
    );
  }
  return loaded;
}

export async function openWorkspace(
  module: DefinitionsModule,
  options: { stateDir?: string; concurrency?: number; clock?: Clock } = {},
): Promise<Workspace> {
  const stateDir = resolve(options.stateDir ?? process.env.STRATA_HOME ?? ".strata");
  mkdirSync(stateDir, { recursive: true });
  const declared =
    typeof module.definitions === "function" ? await module.definitions({ stateDir }) : module.definitions;
  let definitions: LoadedDefinitions;
  try {
    definitions = loadDefinitions(declared);
  } catch (error) {
    await declared.teardown?.();
    throw error;
  }
  const storage = SqliteRunStorage.open(join(stateDir, "runs.sqlite"));
  const clock = options.clock ?? systemClock;
  const materializer = new Materializer(definitions, storage, {
    clock,
    stateDir,
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
  });
  const backfills = new Backfills(definitions, storage, materializer, clock);
  const close = async (): Promise<void> => {
    await storage.close();
    await definitions.teardown();
  };
  return { stateDir, definitions, storage, materializer, backfills, clock, close };
}
