import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { CliIO } from "./command.ts";
import { main } from "./main.ts";

function harness() {
  const stateDir = mkdtempSync(join(tmpdir(), "strata-cli-"));
  const lines: string[] = [];
  const io: CliIO = { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`), isTTY: false };
  const strata = async (...args: string[]): Promise<{ code: number; output: string }> => {
    lines.length = 0;
    const code = await main(
      ["--definitions", "engine/execution/test-definitions.ts", "--state-dir", stateDir, ...args],
      io,
    );
    return { code, output: lines.join("\n") };
  };
  return { strata };
}

describe("strata CLI", () => {
  test("help lists the definitions module's commands too, and the engine's alone when it does not load", async () => {
    const { strata } = harness();
    const help = await strata("help");
    expect(help.code).toBe(0);
    expect(help.output).toMatch(/\n {2}materialize +Materialise/);
    expect(help.output).toMatch(/\n {2}hello +Print a greeting/);
    expect((await strata("hello")).output).toBe("hello from the definitions module");
    const lines: string[] = [];
    const io: CliIO = { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`), isTTY: false };
    expect(await main(["--definitions", "no/such/definitions.ts", "help"], io)).toBe(0);
    expect(lines.join("\n")).toMatch(/ERR \(the definitions module did not load.*no\/such\/definitions\.ts/);
    expect(lines.join("\n")).toMatch(/\n {2}backfill +Materialise a partition range/);
  });

  test("list and graph show the assets", async () => {
    const { strata } = harness();
    const list = await strata("list");
    expect(list.code).toBe(0);
    expect(list.output).toMatch(/diamond\/top\s+layer=diamond\s+group=diamond/);
    expect(list.output).toMatch(/parts\/raw\s+layer=parts\s+partitions=daily/);
    const graph = await strata("graph");
    expect(graph.output).toContain("diamond/top\n  └─ diamond/left\n    └─ diamond/bottom");
  });

  test("materialize prints progress, exits 0 on success and 1 on failure; runs and logs show them", async () => {
    const { strata } = harness();
    const ok = await strata("materialize", "--select", "+diamond/bottom");
    expect(ok.code).toBe(0);
    expect(ok.output).toMatch(/✔ diamond\/bottom step diamond\/bottom succeeded/);
    expect(ok.output).toMatch(/run \S+ SUCCESS \(4 success\)/);
    const failed = await strata("materialize", "--select", "failing/broken+");
    expect(failed.code).toBe(1);
    expect(failed.output).toMatch(/✘ failing\/broken step failing\/broken failed: source system unreachable/);
    const runId = /run (\S+) FAILURE/.exec(failed.output)?.[1] ?? "";
    const runs = await strata("runs");
    expect(runs.output.split("\n")).toHaveLength(2);
    const logs = await strata("logs", runId);
    expect(logs.code).toBe(1);
    expect(logs.output).toMatch(/STEP_SKIPPED\s+failing\/after_broken/);
  });

  test("partitions and backfills from the command line", async () => {
    const { strata } = harness();
    expect((await strata("materialize", "--select", "parts/raw", "--partition", "2024-01-03")).code).toBe(0);
    const backfill = await strata(
      "backfill",
      "--select",
      "parts/raw",
      "--from",
      "2024-01-01",
      "--to",
      "2024-01-03",
    );
    expect(backfill.code).toBe(0);
    expect(backfill.output).toMatch(/completed: 3\/3 partitions done/);
    const listed = await strata("backfill", "--list");
    expect(listed.output).toMatch(/completed\s+parts\/raw\s+3\/3 done, 0 failed/);
    const statuses = await strata("list", "--partitions");
    expect(statuses.output).toContain("2024-01-03:materialized");
  });

  test("usage errors are coded", async () => {
    const { strata } = harness();
    await expect(strata("materialize")).rejects.toThrow(/STRATA_ERR_USAGE.*--select/);
    await expect(strata("materialize", "--select", "diamond/nope")).rejects.toThrow(
      /STRATA_ERR_INVALID_SELECTION/,
    );
    await expect(strata("frobnicate")).rejects.toThrow(/STRATA_ERR_USAGE/);
  });
});
