import type { RunContext } from "../definitions/context.ts";
import type { IOManager } from "../execution/io-manager.ts";
import { token } from "./token.ts";

/** Tokens the engine itself binds or needs. */
export const RUN_CONTEXT = token<RunContext>("RunContext");
export const IO_MANAGER = token<IOManager>("IOManager");
