#!/usr/bin/env node
// The `strata` command: registers tsx (with the project's tsconfig, wherever it is run from, for
// its decorator settings) so the TypeScript sources run as they are, then hands over.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
await import("../engine/cli/main.ts");
