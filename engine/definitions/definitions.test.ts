import { describe, expect, test } from "vitest";
import { inject } from "../di/container.ts";
import { bind, token } from "../di/token.ts";
import { StrataError } from "../errors.ts";
import { PROBE, Probe, testAssets, testChecks } from "../execution/test-graph.ts";
import { selectAssets } from "../graph/selection.ts";
import { asset } from "./asset.ts";
import { defineAsset, defineCheck } from "./define.ts";
import { loadDefinitions } from "./definitions.ts";
import { defineSchedule, defineSensor } from "./instigators.ts";
import { dailyPartitions, staticPartitions } from "./partitions.ts";

const resources = [bind.value(PROBE, new Probe())];

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return StrataError.is(error) ? error.code : `not coded: ${String(error)}`;
  }
  return undefined;
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return "";
}

describe("loading definitions validates the graph", () => {
  test("the test graph loads", () => {
    const loaded = loadDefinitions({ assets: testAssets, checks: testChecks, resources });
    expect(loaded.graph.keys).toHaveLength(14);
    expect(loaded.checks.get("checked/source")?.map((c) => c.name)).toEqual([
      "no_nulls",
      "at_least_1000_rows",
    ]);
  });

  test("duplicate keys are refused", () => {
    const a = defineAsset({ key: "x/one", materialize: () => 1 });
    const b = defineAsset({ key: "x/one", materialize: () => 2 });
    expect(codeOf(() => loadDefinitions({ assets: [a, b] }))).toBe("STRATA_ERR_DUPLICATE_ASSET_KEY");
  });

  test("an unknown dependency is refused with a did-you-mean", () => {
    const orders = defineAsset({ key: "bronze/orders", materialize: () => 1 });
    const silver = defineAsset({ key: "silver/orders", deps: ["bronze/order"], materialize: () => 1 });
    const message = messageOf(() => loadDefinitions({ assets: [orders, silver] }));
    expect(message).toContain("STRATA_ERR_UNKNOWN_DEPENDENCY");
    expect(message).toContain('Did you mean "bronze/orders"?');
  });

  test("a cycle is refused, naming its path", () => {
    const a = defineAsset({ key: "c/a", deps: ["c/c"], materialize: () => 1 });
    const b = defineAsset({ key: "c/b", deps: ["c/a"], materialize: () => 1 });
    const c = defineAsset({ key: "c/c", deps: ["c/b"], materialize: () => 1 });
    const message = messageOf(() => loadDefinitions({ assets: [a, b, c] }));
    expect(message).toContain("STRATA_ERR_DEPENDENCY_CYCLE");
    expect(message).toMatch(
      /c\/a -> c\/b -> c\/c -> c\/a|c\/b -> c\/c -> c\/a -> c\/b|c\/c -> c\/a -> c\/b -> c\/c/,
    );
  });

  test("a missing resource binding fails at load, naming the asset and the token", () => {
    const WAREHOUSE = token<{ query(): void }>("Warehouse");
    @asset({ key: "gold/needs_warehouse" })
    class NeedsWarehouse {
      constructor(@inject(WAREHOUSE) readonly warehouse: { query(): void }) {}
      materialize(): number {
        return 1;
      }
    }
    const message = messageOf(() => loadDefinitions({ assets: [NeedsWarehouse] }));
    expect(message).toContain("STRATA_ERR_MISSING_BINDING");
    expect(message).toContain('"gold/needs_warehouse"');
    expect(message).toContain('"Warehouse"');
    const programmatic = defineAsset({
      key: "gold/model",
      inject: [WAREHOUSE],
      materialize: (_ctx, _in, resolve) => resolve(WAREHOUSE),
    });
    expect(messageOf(() => loadDefinitions({ assets: [programmatic] }))).toMatch(
      /STRATA_ERR_MISSING_BINDING.*"gold\/model".*"Warehouse"/,
    );
    expect(
      codeOf(() =>
        loadDefinitions({
          assets: [programmatic],
          resources: [bind.value(WAREHOUSE, { query: () => undefined })],
        }),
      ),
    ).toBeUndefined();
  });

  test("checks on unknown assets, duplicate check and instigator names are refused", () => {
    const a = defineAsset({ key: "x/a", materialize: () => 1 });
    expect(
      codeOf(() =>
        loadDefinitions({
          assets: [a],
          checks: [defineCheck("x/b", { name: "c", evaluate: () => ({ passed: true }) })],
        }),
      ),
    ).toBe("STRATA_ERR_UNKNOWN_DEPENDENCY");
    const check = defineCheck("x/a", { name: "c", evaluate: () => ({ passed: true }) });
    expect(codeOf(() => loadDefinitions({ assets: [a], checks: [check, check] }))).toBe(
      "STRATA_ERR_DUPLICATE_DEFINITION",
    );
    const sensor = defineSensor({ name: "s", target: "x/a", evaluate: () => ({ runRequests: [] }) });
    expect(codeOf(() => loadDefinitions({ assets: [a], sensors: [sensor, sensor] }))).toBe(
      "STRATA_ERR_DUPLICATE_DEFINITION",
    );
    const badTarget = defineSchedule({ name: "s2", cron: "0 2 * * *", target: "x/zzz" });
    expect(codeOf(() => loadDefinitions({ assets: [a], schedules: [badTarget] }))).toBe(
      "STRATA_ERR_INVALID_SELECTION",
    );
  });

  test("an identity mapping between different partitionings is refused", () => {
    @asset({ key: "p/up", partitions: dailyPartitions({ start: "2024-01-01" }) })
    class Up {
      materialize(): number {
        return 1;
      }
    }
    @asset({ key: "p/down", partitions: staticPartitions(["a", "b"]), ins: { up: Up } })
    class Down {
      materialize(_ctx: unknown, inputs: { up: number }): number {
        return inputs.up;
      }
    }
    expect(codeOf(() => loadDefinitions({ assets: [Up, Down] }))).toBe("STRATA_ERR_PARTITION_MISMATCH");
  });

  test("invalid options are coded errors", () => {
    expect(codeOf(() => asset({ key: "NoLayer" }))).toBe("STRATA_ERR_INVALID_ASSET_KEY");
    expect(codeOf(() => defineSchedule({ name: "x", cron: "0 25 * * *", target: "*" }))).toBe(
      "STRATA_ERR_INVALID_CRON",
    );
    expect(
      codeOf(() => defineSchedule({ name: "x", cron: "0 2 * * *", timezone: "Mars/Olympus", target: "*" })),
    ).toBe("STRATA_ERR_INVALID_CRON");
    expect(codeOf(() => dailyPartitions({ start: "2024-02-30" }))).toBe("STRATA_ERR_INVALID_PARTITIONS");
    expect(codeOf(() => staticPartitions(["a", "a"]))).toBe("STRATA_ERR_INVALID_PARTITIONS");
  });
});

describe("selection grammar", () => {
  const { graph } = loadDefinitions({ assets: testAssets, checks: testChecks, resources });

  test.each([
    ["diamond/left", ["diamond/left"]],
    ["+diamond/left", ["diamond/top", "diamond/left"]],
    ["diamond/top+", ["diamond/top", "diamond/left", "diamond/right", "diamond/bottom"]],
    ["diamond/top+1", ["diamond/top", "diamond/left", "diamond/right"]],
    ["1+diamond/bottom", ["diamond/left", "diamond/right", "diamond/bottom"]],
    ["group:diamond", ["diamond/top", "diamond/left", "diamond/right", "diamond/bottom"]],
    ["tag:kind=source", ["diamond/top"]],
    ["layer:parts", ["parts/raw", "parts/clean", "parts/summary"]],
    ["slow/*", ["slow/waits", "slow/after"]],
    ["diamond/left, failing/broken", ["diamond/left", "failing/broken"]],
  ])("%s", (selection, expected) => {
    expect(new Set(selectAssets(graph, selection))).toEqual(new Set(expected));
  });

  test("results come in topological order", () => {
    expect(selectAssets(graph, "diamond/bottom,diamond/top")).toEqual(["diamond/top", "diamond/bottom"]);
    expect(selectAssets(graph, "*")).toHaveLength(14);
  });

  test("an unknown key suggests the closest one", () => {
    expect(messageOf(() => selectAssets(graph, "diamond/botom"))).toMatch(
      /STRATA_ERR_INVALID_SELECTION.*Did you mean "diamond\/bottom"/,
    );
    expect(codeOf(() => selectAssets(graph, "group:nothing"))).toBe("STRATA_ERR_INVALID_SELECTION");
    expect(codeOf(() => selectAssets(graph, ""))).toBe("STRATA_ERR_INVALID_SELECTION");
  });
});
