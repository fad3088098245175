import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { quote, StrataError } from "../engine/index.ts";

export interface UiToken {
  readonly token: string;
  /** Where it came from; "generated" means it was created now and must be shown to the user once. */
  readonly source: "env" | "config-file" | "state-dir" | "generated";
  /** The file holding a stored or generated token. */
  readonly file?: string;
}

const TOKEN_FILE = "ui-token";

/** A STRATA_* setting from the environment, else from strata.config.json (as the pipeline's config reads them). */
export function uiSetting(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string | undefined {
  const fromEnv = env[name];
  if (fromEnv !== undefined) return fromEnv;
  const path = resolve(cwd, env.STRATA_CONFIG ?? "strata.config.json");
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new StrataError("STRATA_ERR_CONFIG", `${quote(path)} is not valid JSON.`);
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const value = Object.entries(parsed).find(([key]) => key === name)?.[1];
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

/**
 * The bearer token that mutating API routes require: STRATA_UI_TOKEN (environment, then
 * strata.config.json), else the one stored under the state dir, else a new random one written
 * there with mode 0600 (so other local users cannot read it).
 */
export function resolveUiToken(stateDir: string, env = process.env, cwd = process.cwd()): UiToken {
  const configured = uiSetting("STRATA_UI_TOKEN", env, cwd);
  if (configured !== undefined) {
    if (configured.length < 16) {
      throw new StrataError(
        "STRATA_ERR_CONFIG",
        "STRATA_UI_TOKEN must be at least 16 characters (its value is not shown).",
      );
    }
    return { token: configured, source: env.STRATA_UI_TOKEN !== undefined ? "env" : "config-file" };
  }
  const file = join(stateDir, TOKEN_FILE);
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    return { token: readFileSync(file, "utf8").trim(), source: "state-dir", file };
  }
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  return { token, source: "generated", file };
}

/** Constant-time comparison of an Authorization header against the token. */
export function checkBearer(header: string | undefined, token: string): void {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  const given = Buffer.from(match?.[1] ?? "");
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new StrataError(
      "STRATA_ERR_UNAUTHORIZED",
      match
        ? "the bearer token is not this server's token."
        : "this route needs an Authorization: Bearer header.",
    );
  }
}
