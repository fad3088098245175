import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SAMPLE_CSV } from "../assets/commands/demo.ts";
import { PipelineHarness } from "../assets/testing/pipeline-harness.ts";
import { openWorkspace, type Workspace } from "../engine/cli/workspace.ts";
import { Daemon } from "../engine/daemon/daemon.ts";
import { buildApp } from "./app.ts";
import { ARTIFACTS, launchBrowser, type TestBrowser } from "./testing/browser.ts";
import { syntheticDefinitions } from "./testing/synthetic-definitions.ts";
import { TEST_TOKEN } from "./testing/test-app.ts";

const LANDED_AT = Date.parse("2026-11-20T09:30:00Z");

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (typeof address !== "object" || address === null) throw new Error("no address");
  return `http://127.0.0.1:${address.port}`;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: false });
const points = (page: Page, plot: string) => page.locator(`[data-plot="${plot}"] circle.point`).count();

describe("the asset UI in headless Chromium", () => {
  let browser: TestBrowser;
  let h: PipelineHarness;
  let app: FastifyInstance;
  let base = "";
  let partition = "";
  let synthetic: Workspace | undefined;
  let syntheticApp: FastifyInstance | undefined;

  beforeAll(async () => {
    browser = await launchBrowser();
    h = await PipelineHarness.open();
    partition = await h.land(
      "global_superstore_sample.csv",
      new Uint8Array(readFileSync(SAMPLE_CSV)),
      LANDED_AT,
    );
    expect((await h.run("bronze/sales_csv,silver/sales", partition)).status).toBe("success");
    app = buildApp(h.workspace, { token: TEST_TOKEN, pollMs: 200 });
    base = await listen(app);
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await syntheticApp?.close();
    await synthetic?.close();
    await app?.close();
    await h?.close();
  });

  test("catalog → lineage → silver/sales → launch a materialisation, watch it finish live, see the new point", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/`);
    expect(
      await page.locator("section.layer").evaluateAll((s) => s.map((e) => e.getAttribute("data-layer"))),
    ).toEqual(["bronze", "silver", "gold"]);
    await expect
      .poll(() =>
        page.locator('tr[data-asset="silver/sales"] [data-asset-status]').getAttribute("data-asset-status"),
      )
      .toBe("materialized");
    await shot(page, "01-catalog.png");

    await page.click('header nav a[href="/lineage"]');
    await page.waitForSelector("svg#lineage");
    const nodes = await page.locator("#lineage .node").count();
    expect(nodes).toBe(h.workspace.definitions.graph.order.length);
    await shot(page, "02-lineage.png");

    await page.click('#lineage a.node[data-asset="silver/sales"]');
    await page.waitForURL(`${base}/assets/silver/sales`);
    expect(await points(page, "rows_read")).toBe(1);
    await shot(page, "03-silver-sales-before.png");

    // Mark the document: if the page reloaded, the mark would be gone.
    await page.evaluate('document.body.setAttribute("data-e2e-mark", "kept")');
    await page.click('main button[data-open="launch-dialog"]');
    const dialog = page.locator("#launch-dialog");
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.locator('input[name="selection"]').inputValue()).toBe("silver/sales");
    await dialog.locator('input[name="partition"]').fill(partition);
    await dialog.locator('input[name="token"]').fill(TEST_TOKEN);
    await shot(page, "04-launch-dialog.png");
    await dialog.locator("button[data-submit]").click();
    await page.waitForSelector("#toast:not([hidden])");
    const launched = /Run (\w+) launched/.exec((await page.textContent("#toast")) ?? "")?.[1];
    expect(launched).toMatch(/^[0-9a-f]{8}$/);

    // The asset page follows the launched run without a reload until it succeeds.
    await expect.poll(() => page.textContent("#latest-run a"), { timeout: 90_000 }).toBe(launched);
    await page.waitForSelector('#latest-run[data-latest-run-status="success"]', { timeout: 90_000 });
    await expect.poll(() => points(page, "rows_read"), { timeout: 30_000 }).toBe(2);
    expect(await page.getAttribute("body", "data-e2e-mark")).toBe("kept");
    await shot(page, "05-silver-sales-after.png");

    await page.click("#latest-run a");
    await page.waitForSelector('#run-status[data-status="success"]');
    expect(
      await page.locator(`#timeline [data-step="silver/sales[${partition}]"]`).getAttribute("data-status"),
    ).toBe("success");
    expect(await page.locator("#run-log tbody tr").count()).toBeGreaterThan(4);
    await shot(page, "06-run.png");
    await page.close();
  }, 180_000);

  test("a run page streams its events live until the run ends", async () => {
    const page = await browser.context.newPage();
    const run = await h.workspace.materializer.submit({ selection: "silver/sales", partition });
    await page.goto(`${base}/runs/${run.runId}`);
    expect(await page.getAttribute("#run-log", "data-live")).toBe("true");
    expect(await page.locator("#run-log tbody tr").count()).toBe(0);
    await page.evaluate('document.body.setAttribute("data-e2e-mark", "kept")');
    const execution = h.workspace.materializer.execute(run.runId);
    await page.waitForSelector('#run-status[data-status="success"]', { timeout: 90_000 });
    await execution;
    await expect
      .poll(() => page.locator("#run-log tbody tr").count())
      .toBe((await h.workspace.storage.listEvents(run.runId)).length);
    expect(await page.getAttribute("#run-log", "data-live")).toBe("false");
    expect(await page.getAttribute("body", "data-e2e-mark")).toBe("kept");
    await shot(page, "07-run-live.png");
    await page.close();
  }, 120_000);

  test("the backfill dialog launches a backfill; the runs page shows it complete without a reload", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/runs`);
    await page.click('main button[data-open="backfill-dialog"]');
    const dialog = page.locator("#backfill-dialog");
    await dialog.locator('input[name="selection"]').fill("bronze/sales_csv");
    await dialog.locator('input[name="from"]').fill(partition);
    await dialog.locator('input[name="to"]').fill(partition);
    expect(await dialog.locator('input[name="token"]').inputValue()).toBe(TEST_TOKEN); // remembered
    await dialog.locator("button[data-submit]").click();
    await page.waitForSelector("#toast:not([hidden])");
    await page.waitForSelector("#backfills tr[data-backfill] .status-completed", { timeout: 60_000 });
    await shot(page, "08-backfill.png");
    await page.close();
  }, 120_000);

  test("sensors and schedules: tick history and toggles", async () => {
    // One daemon pass ticks every sensor and schedule, so the page has tick history to show.
    const daemon = new Daemon(
      h.workspace.storage,
      h.workspace.materializer,
      h.workspace.backfills,
      h.workspace.clock,
      {
        onError: () => {},
      },
    );
    await daemon.tick();
    await daemon.drain();
    const page = await browser.context.newPage();
    await page.goto(`${base}/automation`);
    expect(
      await page.locator('[data-instigator="landing_sales"] table.ticks tbody tr').count(),
    ).toBeGreaterThan(0);
    const sensor = page.locator('[data-instigator="landing_sales"]');
    expect(await sensor.getAttribute("data-running")).toBe("true");
    await sensor.locator("button[data-post]").click(); // the token is in localStorage from the launch
    await expect
      .poll(() => page.locator('[data-instigator="landing_sales"]').getAttribute("data-running"))
      .toBe("false");
    await shot(page, "09-automation.png");
    await page.locator('[data-instigator="landing_sales"] button[data-post]').click();
    await expect
      .poll(() => page.locator('[data-instigator="landing_sales"]').getAttribute("data-running"))
      .toBe("true");
    await page.close();
  }, 60_000);

  test("a 1,000-asset synthetic graph is laid out and rendered", async () => {
    synthetic = await openWorkspace(
      { definitions: syntheticDefinitions(1000) },
      { stateDir: join(h.dir, "synthetic") },
    );
    syntheticApp = buildApp(synthetic, { token: TEST_TOKEN });
    const syntheticBase = await listen(syntheticApp);
    const page = await browser.context.newPage();
    const started = performance.now();
    await page.goto(`${syntheticBase}/lineage`, { waitUntil: "load" });
    // Two animation frames after load: the SVG has been laid out and painted.
    await page.evaluate(
      "new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))",
    );
    const wall = performance.now() - started;
    const nodes = await page.locator("#lineage .node").count();
    const layoutMs = Number(await page.getAttribute("#lineage-stats", "data-layout-ms"));
    const navigation: unknown = await page.evaluate(
      '(() => { const [e] = performance.getEntriesByType("navigation"); return { response: e.responseEnd - e.startTime, load: e.loadEventEnd - e.startTime }; })()',
    );
    const timing = (name: string): number =>
      typeof navigation === "object" && navigation !== null && name in navigation
        ? Number(Object.entries(navigation).find(([key]) => key === name)?.[1])
        : Number.NaN;
    console.log(
      `1,000-asset lineage: layout ${layoutMs.toFixed(0)} ms on the server; page received in ${timing("response").toFixed(0)} ms, ` +
        `loaded in ${timing("load").toFixed(0)} ms; navigation to painted ${wall.toFixed(0)} ms (${nodes} nodes, ` +
        `${await page.locator("#lineage .edge").count()} edges)`,
    );
    expect(nodes).toBe(1000);
    await page.click('[data-zoom="fit"]');
    await shot(page, "10-lineage-1000.png");
    await page.close();
  }, 120_000);
});
