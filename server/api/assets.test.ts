import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openTestApp, type TestApp } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
  await t.workspace.materializer.materialize({ selection: "diamond/*" });
  await t.workspace.materializer.materialize({ selection: "parts/raw", partition: "2024-01-02" });
  await t.workspace.materializer.materialize({ selection: "checked/source" });
});
afterAll(() => t.close());

const get = (url: string) => t.app.inject({ method: "GET", url });

describe("assets API", () => {
  test("GET /api/health answers ok with counts", async () => {
    const response = await get("/api/health");
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: "ok",
      assets: 14,
      sensors: 1,
      schedules: 1,
      daemon: false,
    });
  });

  test("GET /api/assets lists every asset with layer, group, status, latest materialisation and checks", async () => {
    const response = await get("/api/assets");
    expect(response.statusCode).toBe(200);
    const { assets } = response.json();
    expect(assets).toHaveLength(14);
    const top = assets.find((a: { key: string }) => a.key === "diamond/top");
    expect(top).toMatchObject({
      layer: "diamond",
      group: "diamond",
      status: "materialized",
      codeVersion: "1",
    });
    expect(top.latestMaterialization.metadata.rows).toEqual({ type: "int", value: 10 });
    const source = assets.find((a: { key: string }) => a.key === "checked/source");
    expect(source.checks.map((c: { name: string }) => c.name).sort()).toEqual([
      "at_least_1000_rows",
      "no_nulls",
    ]);
    expect(source.checks.find((c: { name: string }) => c.name === "no_nulls").latest.passed).toBe(false);
    expect(assets.find((a: { key: string }) => a.key === "slow/waits").status).toBe("missing");
  });

  test("GET /api/assets filters by layer and group; unknown query fields are rejected", async () => {
    expect((await get("/api/assets?layer=parts")).json().assets.map((a: { key: string }) => a.key)).toEqual([
      "parts/raw",
      "parts/clean",
      "parts/summary",
    ]);
    expect((await get("/api/assets?group=diamond")).json().assets).toHaveLength(4);
    const bad = await get("/api/assets?colour=red");
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe("STRATA_ERR_INVALID_REQUEST");
  });

  test("GET /api/assets/<key> returns one asset with partitions; an unknown key is a 404", async () => {
    const raw = await get("/api/assets/parts/raw");
    expect(raw.statusCode).toBe(200);
    expect(raw.json().partitions).toMatchObject({ kind: "daily", materialized: 1, failed: 0 });
    expect(raw.json().downstream).toEqual(["parts/clean"]);
    const missing = await get("/api/assets/parts/nope");
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      code: "STRATA_ERR_NOT_FOUND",
      message: expect.stringContaining('asset "parts/nope" does not exist'),
    });
    expect(missing.body).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  test("GET /api/lineage lays out every asset and edge, left to right", async () => {
    const response = await get("/api/lineage");
    expect(response.statusCode).toBe(200);
    expect(response.headers["server-timing"]).toMatch(/^layout;dur=/);
    const lineage = response.json();
    expect(lineage.nodes).toHaveLength(14);
    const x = new Map(lineage.nodes.map((n: { key: string; x: number }) => [n.key, n.x]));
    const edge = lineage.edges.find(
      (e: { from: string; to: string }) => e.from === "diamond/left" && e.to === "diamond/bottom",
    );
    expect(edge.points.length).toBeGreaterThanOrEqual(2);
    expect(x.get("diamond/bottom")).toBeGreaterThan(Number(x.get("diamond/left")));
  });

  test("GET /api/materializations returns history with metadata; bad queries are 400/404", async () => {
    await t.workspace.materializer.materialize({ selection: "diamond/top" });
    const response = await get("/api/materializations?asset=diamond/top&limit=10");
    expect(response.statusCode).toBe(200);
    const { materializations } = response.json();
    expect(materializations).toHaveLength(2);
    expect(materializations[0].metadata.duration_ms.type).toBe("duration_ms");
    expect(
      (await get("/api/materializations?asset=parts/raw&partition=2024-01-02")).json().materializations,
    ).toHaveLength(1);
    expect((await get("/api/materializations")).statusCode).toBe(400);
    expect((await get("/api/materializations?asset=diamond/top&limit=0")).json().code).toBe(
      "STRATA_ERR_INVALID_REQUEST",
    );
    expect((await get("/api/materializations?asset=x/y")).statusCode).toBe(404);
  });

  test("GET /api/check-results and /api/partitions", async () => {
    const checks = (await get("/api/check-results?asset=checked/source&check=no_nulls")).json().results;
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({
      checkName: "no_nulls",
      passed: false,
      severity: "error",
      blocking: true,
    });
    const partitions = (await get("/api/partitions?asset=parts/raw")).json().partitions;
    expect(partitions.find((p: { key: string }) => p.key === "2024-01-02").status).toBe("materialized");
    expect(partitions.find((p: { key: string }) => p.key === "2024-01-01").status).toBe("missing");
    expect((await get("/api/partitions?asset=diamond/top")).json().partitions).toEqual([]);
  });

  test("unknown routes answer a coded 404", async () => {
    const response = await get("/api/nothing");
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe("STRATA_ERR_NOT_FOUND");
  });
});
