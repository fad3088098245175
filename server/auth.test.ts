import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { StrataError } from "../engine/index.ts";
import { checkBearer, resolveUiToken } from "./auth.ts";
import { toErrorAnswer } from "./errors.ts";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "strata-auth-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("UI token", () => {
  test("generated once, stored with mode 0600, then reused", () => {
    const dir = tempDir();
    const first = resolveUiToken(dir, {}, dir);
    expect(first.source).toBe("generated");
    expect(first.token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, "ui-token")).mode & 0o777).toBe(0o600);
    const again = resolveUiToken(dir, {}, dir);
    expect(again).toMatchObject({ source: "state-dir", token: first.token });
  });

  test("STRATA_UI_TOKEN from the environment wins, then strata.config.json; short tokens are refused", () => {
    const dir = tempDir();
    expect(resolveUiToken(dir, { STRATA_UI_TOKEN: "a-configured-token-123" }, dir)).toEqual({
      token: "a-configured-token-123",
      source: "env",
    });
    writeFileSync(
      join(dir, "strata.config.json"),
      JSON.stringify({ STRATA_UI_TOKEN: "from-the-config-file-1" }),
    );
    expect(resolveUiToken(dir, {}, dir)).toEqual({ token: "from-the-config-file-1", source: "config-file" });
    let thrown: unknown;
    try {
      resolveUiToken(dir, { STRATA_UI_TOKEN: "short" }, dir);
    } catch (error) {
      thrown = error;
    }
    expect(StrataError.is(thrown, "STRATA_ERR_CONFIG")).toBe(true);
    expect(String(thrown)).not.toContain("short");
    expect(() => readFileSync(join(dir, "ui-token"))).toThrow();
  });

  test("bearer check: missing, malformed and wrong tokens are STRATA_ERR_UNAUTHORIZED", () => {
    expect(() => checkBearer("Bearer the-token", "the-token")).not.toThrow();
    for (const header of [undefined, "", "Basic dGhlLXRva2Vu", "Bearer other", "Bearer the-token-longer"]) {
      expect(() => checkBearer(header, "the-token")).toThrow(/STRATA_ERR_UNAUTHORIZED/);
    }
  });
});

describe("error answers", () => {
  test("unexpected errors become STRATA_ERR_INTERNAL without their message or stack", () => {
    const answer = toErrorAnswer(new Error("password=hunter2 at /secret/path"));
    expect(answer).toMatchObject({ status: 500, internal: true, body: { code: "STRATA_ERR_INTERNAL" } });
    expect(JSON.stringify(answer.body)).not.toContain("hunter2");
  });

  test("coded errors keep their code and message, without the code prefix", () => {
    const answer = toErrorAnswer(new StrataError("STRATA_ERR_UNKNOWN_RUN", 'run "x" does not exist.'));
    expect(answer.status).toBe(404);
    expect(answer.body.message).toMatch(/^run "x" does not exist\. Fix: /);
  });
});
