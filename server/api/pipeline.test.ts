import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SAMPLE_CSV } from "../../assets/commands/demo.ts";
import { PipelineHarness } from "../../assets/testing/pipeline-harness.ts";
import { buildApp } from "../app.ts";
import { TEST_TOKEN } from "../testing/test-app.ts";

const LANDED_AT = Date.parse("2026-11-20T09:30:00Z");

describe("the API over the real sales pipeline", () => {
  let h: PipelineHarness;
  let app: FastifyInstance;
  let partition: string;
  beforeAll(async () => {
    h = await PipelineHarness.open();
    partition = await h.land(
      "global_superstore_sample.csv",
      new Uint8Array(readFileSync(SAMPLE_CSV)),
      LANDED_AT,
    );
    app = buildApp(h.workspace, { token: TEST_TOKEN, pollMs: 50 });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await h.close();
  });

  test("assets come grouped in bronze, silver and gold layers; lineage runs bronze → silver → gold", async () => {
    const { assets } = (await app.inject({ method: "GET", url: "/api/assets" })).json();
    const layers = new Set(assets.map((a: { layer: string }) => a.layer));
    expect(layers).toEqual(new Set(["bronze", "silver", "gold"]));
    const silver = assets.find((a: { key: string }) => a.key === "silver/sales");
    expect(silver).toMatchObject({ status: "missing", automation: "eager", upstream: ["bronze/sales_csv"] });
    expect(silver.checks.map((c: { name: string }) => c.name)).toContain("reconciliation");
    const lineage = (await app.inject({ method: "GET", url: "/api/lineage" })).json();
    const rank = new Map(lineage.nodes.map((n: { key: string; rank: number }) => [n.key, n.rank]));
    expect(rank.get("bronze/sales_csv")).toBe(0);
    expect(rank.get("silver/sales")).toBe(1);
    expect(Number(rank.get("gold/fact_sales"))).toBeGreaterThan(1);
    const sensors = (await app.inject({ method: "GET", url: "/api/sensors" })).json().sensors;
    expect(sensors.map((s: { name: string }) => s.name)).toContain("landing_sales");
    expect((await app.inject({ method: "GET", url: "/api/schedules" })).json().schedules[0].name).toBe(
      "daily_batch",
    );
  });

  test("launching Bronze then Silver through the API records row counts and quarantine reasons", async () => {
    const auth = { authorization: `Bearer ${TEST_TOKEN}` };
    for (const selection of ["bronze/sales_csv", "silver/sales"]) {
      const launched = await app.inject({
        method: "POST",
        url: "/api/runs",
        headers: auth,
        payload: { selection, partition },
      });
      expect(launched.statusCode).toBe(201);
      const { runId } = launched.json().run;
      let status = "queued";
      for (let i = 0; i < 600 && (status === "queued" || status === "started"); i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await app.inject({ method: "GET", url: `/api/runs/${runId}` })).json().run.status;
      }
      expect(status, selection).toBe("success");
      if (selection === "silver/sales") {
        // The multi-asset is one step that names both of its keys.
        const detail = (await app.inject({ method: "GET", url: `/api/runs/${runId}` })).json();
        expect(detail.steps.map((s: { assetKeys: string[] }) => s.assetKeys)).toEqual([
          ["silver/sales", "silver/sales_quarantine"],
        ]);
      }
    }
    const [latest] = (
      await app.inject({ method: "GET", url: "/api/materializations?asset=silver/sales&limit=1" })
    ).json().materializations;
    expect(latest.partition).toBe(partition);
    expect(latest.metadata.rows_read).toEqual({ type: "int", value: 2743 });
    const quarantine = (
      await app.inject({ method: "GET", url: "/api/assets/silver/sales_quarantine" })
    ).json();
    expect(Object.keys(quarantine.latestMaterialization.metadata).some((k) => k.startsWith("reason_"))).toBe(
      true,
    );
    const page = (await app.inject({ method: "GET", url: "/assets/silver/sales" })).body;
    expect(page).toContain('data-plot="rows_read"');
    const quarantinePage = (await app.inject({ method: "GET", url: "/assets/silver/sales_quarantine" })).body;
    expect(quarantinePage).toContain('data-plot="quarantine_by_reason"');
  });
});
