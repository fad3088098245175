import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { STATIC_FILES } from "../static.ts";
import { openTestApp, TEST_TOKEN, type TestApp } from "../testing/test-app.ts";

let t: TestApp;
let runId = "";
beforeAll(async () => {
  t = await openTestApp();
  await t.workspace.materializer.materialize({ selection: "diamond/*" });
  runId = (await t.workspace.materializer.materialize({ selection: "diamond/top" })).runId;
  await t.workspace.materializer.materialize({ selection: "checked/source" });
});
afterAll(() => t.close());

const get = (url: string) => t.app.inject({ method: "GET", url });

describe("UI pages", () => {
  test("the catalog groups assets by layer and links each asset", async () => {
    const response = await get("/");
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("text/html");
    expect(response.headers["content-security-policy"]).toContain("default-src 'self'");
    const sections = [...response.body.matchAll(/<section class="layer" data-layer="(\w+)"/g)].map(
      (m) => m[1],
    );
    expect(sections).toEqual(["checked", "diamond", "failing", "flaky", "parts", "slow"]);
    expect(response.body).toContain('<a href="/assets/diamond/top">diamond/top</a>');
    expect(response.body).not.toContain(TEST_TOKEN);
    expect(response.body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // nothing from another origin
  });

  test("the lineage page draws one node per asset and one path per edge", async () => {
    const body = (await get("/lineage")).body;
    expect(body.match(/<a href="\/assets\/[^"]+" class="node /g)).toHaveLength(14);
    expect(body.match(/<path class="edge"/g)?.length).toBe(
      t.workspace.definitions.graph.order.reduce(
        (sum, key) => sum + t.workspace.definitions.graph.upstream(key).length,
        0,
      ),
    );
    expect(body).toMatch(/data-layout-ms="\d+(\.\d)?"/);
  });

  test("an asset page plots numeric metadata over time and lists materialisations and checks", async () => {
    const top = (await get("/assets/diamond/top")).body;
    expect(top).toContain('data-plot="rows"');
    expect(top).toContain('data-plot="duration_ms"');
    const rowsPlot = top.slice(
      top.indexOf('data-plot="rows"'),
      top.indexOf("</figure>", top.indexOf('data-plot="rows"')),
    );
    expect(rowsPlot.match(/<circle class="point"/g)).toHaveLength(2);
    expect(top.match(/<tr data-event="/g)).toHaveLength(2);
    const checked = (await get("/assets/checked/source")).body;
    expect(checked).toContain('data-check="no_nulls"');
    expect(checked).toContain("status-failed");
    const parts = (await get("/assets/parts/raw")).body;
    expect(parts).toContain('class="partition-grid"');
    expect(parts).toContain('data-open="backfill-dialog"');
    const missing = await get("/assets/nope/nothing");
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain("does not exist");
  });

  test("the runs list, a run page with its timeline and log, and the automation page render", async () => {
    expect((await get("/runs")).body).toContain(`href="/runs/${runId}"`);
    const run = (await get(`/runs/${runId}`)).body;
    expect(run).toContain('id="timeline"');
    expect(run).toContain('data-step="diamond/top"');
    expect(run).toContain('data-live="false"');
    expect(run.match(/<tr data-event-id=/g)?.length).toBeGreaterThanOrEqual(4);
    expect((await get("/runs/00000000-0000-0000-0000-000000000000")).statusCode).toBe(404);
    const automation = (await get("/automation")).body;
    expect(automation).toContain('data-instigator="nothing_new"');
    expect(automation).toContain('data-post="/api/schedules/nightly/start"');
  });

  test("asset keys and messages are escaped", async () => {
    await t.workspace.storage.addTick({
      kind: "sensor",
      name: "nothing_new",
      timestamp: Date.now(),
      status: "failed",
      runIds: [],
      error: "<script>alert(1)</script>",
    });
    const body = (await get("/automation")).body;
    expect(body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(body).not.toContain("<script>alert(1)");
  });

  test("static files are served from memory; unknown ones are 404", async () => {
    for (const file of STATIC_FILES) {
      const response = await get(`/static/${file}`);
      expect(response.statusCode, file).toBe(200);
      expect(response.body.length).toBeGreaterThan(100);
    }
    expect((await get("/static/app.js")).headers["content-type"]).toContain("text/javascript");
    expect((await get("/static/../app.ts")).statusCode).toBe(404);
    expect((await get("/static/nothing.js")).statusCode).toBe(404);
  });
});
