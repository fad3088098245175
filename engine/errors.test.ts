import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { errorCatalog, quote, StrataError } from "./errors.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("error registry", () => {
  test.each(Object.keys(errorCatalog))("%s is documented in the README error table", (code) => {
    expect(readme).toMatch(new RegExp(`^\\|\\s*\`?${code}\`?\\s*\\|`, "m"));
  });

  test("every documented code exists", () => {
    const documented = [...readme.matchAll(/^\|\s*`?(STRATA_ERR_[A-Z0-9_]+)`?\s*\|/gm)].map((m) => m[1]);
    for (const code of documented) expect(Object.keys(errorCatalog)).toContain(code);
  });

  test("codes are STRATA_ERR_* and every entry says how to fix", () => {
    for (const [code, entry] of Object.entries(errorCatalog)) {
      expect(code).toMatch(/^STRATA_ERR_[A-Z0-9_]+$/);
      expect(entry.fix.length).toBeGreaterThan(10);
    }
  });

  test("a StrataError carries its code, the specifics and the fix, and is recognised by is()", () => {
    const error = new StrataError(
      "STRATA_ERR_INVALID_ASSET_KEY",
      `asset key ${quote("Sales")} is not <layer>/<name>.`,
    );
    expect(error.message).toBe(
      `STRATA_ERR_INVALID_ASSET_KEY: asset key "Sales" is not <layer>/<name>. Fix: ${errorCatalog.STRATA_ERR_INVALID_ASSET_KEY.fix}`,
    );
    expect(StrataError.is(error)).toBe(true);
    expect(StrataError.is(error, "STRATA_ERR_INVALID_ASSET_KEY")).toBe(true);
    expect(StrataError.is(error, "STRATA_ERR_USAGE")).toBe(false);
    expect(StrataError.is(new Error("plain"))).toBe(false);
  });
});
