import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openTestApp, TEST_TOKEN, type TestApp } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(() => t.close());

const get = (url: string) => t.app.inject({ method: "GET", url });

describe("runs API: auth and bad input", () => {
  test("mutating routes without a token, or with another token, are 401 with a code", async () => {
    for (const url of [
      "/api/runs",
      "/api/backfills",
      "/api/runs/abc/cancel",
      "/api/sensors/nothing_new/stop",
    ]) {
      const none = await t.app.inject({ method: "POST", url, payload: { selection: "diamond/top" } });
      expect(none.statusCode, url).toBe(401);
      expect(none.json()).toEqual({
        code: "STRATA_ERR_UNAUTHORIZED",
        message: expect.stringContaining("Bearer"),
      });
      const wrong = await t.app.inject({
        method: "POST",
        url,
        headers: { authorization: "Bearer not-the-token-at-all-000" },
        payload: { selection: "diamond/top" },
      });
      expect(wrong.statusCode, url).toBe(401);
      expect(wrong.body).not.toContain(TEST_TOKEN);
    }
    for (const url of ["//api/runs", "/API/runs", "/%61pi/runs"]) {
      const sneaky = await t.app.inject({ method: "POST", url, payload: { selection: "diamond/top" } });
      expect(sneaky.statusCode, url).toBe(401);
    }
    expect(await t.workspace.storage.listRuns()).toEqual([]);
  });

  test("bad launch bodies are 400 STRATA_ERR_INVALID_REQUEST, bad selections keep the engine's code", async () => {
    const cases: [object, string][] = [
      [{}, "STRATA_ERR_INVALID_REQUEST"],
      [{ selection: "" }, "STRATA_ERR_INVALID_REQUEST"],
      [{ selection: "diamond/top", colour: "red" }, "STRATA_ERR_INVALID_REQUEST"],
      [{ selection: { key: "diamond/top" } }, "STRATA_ERR_INVALID_REQUEST"],
      [
        { selection: "parts/raw", partition: "2024-01-01", from: "2024-01-01", to: "2024-01-02" },
        "STRATA_ERR_INVALID_REQUEST",
      ],
      [{ selection: "parts/raw", from: "2024-01-01" }, "STRATA_ERR_INVALID_REQUEST"],
      [{ selection: "nothing/here" }, "STRATA_ERR_INVALID_SELECTION"],
      [{ selection: "parts/raw", partition: "1999-01-01" }, "STRATA_ERR_UNKNOWN_PARTITION"],
      [{ selection: "diamond/top", partition: "2024-01-01" }, "STRATA_ERR_PARTITION_MISMATCH"],
    ];
    for (const [payload, code] of cases) {
      const response = await t.post("/api/runs", payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().code, JSON.stringify(payload)).toBe(code);
    }
    const notJson = await t.app.inject({
      method: "POST",
      url: "/api/runs",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      payload: "{not json",
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().code).toBe("STRATA_ERR_INVALID_REQUEST");
    expect(await t.workspace.storage.listRuns()).toEqual([]);
  });
});

describe("runs API: launch, follow, cancel", () => {
  test("POST /api/runs launches a run that executes at once; GET shows steps and events", async () => {
    const launched = await t.post("/api/runs", { selection: "diamond/*", tags: { who: "test" } });
    expect(launched.statusCode).toBe(201);
    const { run } = launched.json();
    expect(run).toMatchObject({ status: "queued", selection: "diamond/*", tags: { who: "test" } });
    expect(run.origin).toEqual({ kind: "manual", name: "ui" });
    expect((await t.waitForRun(run.runId)).status).toBe("success");

    const detail = (await get(`/api/runs/${run.runId}`)).json();
    expect(detail.run.status).toBe("success");
    expect(detail.steps.map((s: { assetKey: string }) => s.assetKey).sort()).toEqual([
      "diamond/bottom",
      "diamond/left",
      "diamond/right",
      "diamond/top",
    ]);
    expect(detail.steps.every((s: { status: string }) => s.status === "success")).toBe(true);
    expect(detail.events[0].type).toBe("RUN_STARTED");
    expect(detail.events.at(-1).type).toBe("RUN_SUCCESS");

    const after = detail.events[2].id;
    const events = (await get(`/api/runs/${run.runId}/events?after=${after}&limit=2`)).json().events;
    expect(events).toHaveLength(2);
    expect(events[0].id).toBeGreaterThan(after);

    const listed = (await get("/api/runs?status=success&limit=5")).json().runs;
    expect(listed.map((r: { runId: string }) => r.runId)).toContain(run.runId);
    expect((await get("/api/runs?asset=diamond/top")).json().runs).toHaveLength(1);
    expect((await get("/api/runs?status=exploded")).statusCode).toBe(400);
  });

  test("a partition range run materialises every partition of the range", async () => {
    const { run } = (
      await t.post("/api/runs", { selection: "parts/raw", from: "2024-02-01", to: "2024-02-03" })
    ).json();
    expect(run.partitionRange).toEqual({ from: "2024-02-01", to: "2024-02-03" });
    expect((await t.waitForRun(run.runId)).status).toBe("success");
    const partitions = (await get("/api/partitions?asset=parts/raw")).json().partitions;
    expect(
      partitions
        .filter((p: { status: string }) => p.status === "materialized")
        .map((p: { key: string }) => p.key),
    ).toEqual(["2024-02-01", "2024-02-02", "2024-02-03"]);
  });

  test("a run's failure is reported as failure, with the step's error in its events", async () => {
    const { run } = (await t.post("/api/runs", { selection: "failing/*" })).json();
    expect((await t.waitForRun(run.runId)).status).toBe("failure");
    const detail = (await get(`/api/runs/${run.runId}`)).json();
    expect(detail.steps.find((s: { assetKey: string }) => s.assetKey === "failing/broken").status).toBe(
      "failure",
    );
    expect(detail.steps.find((s: { assetKey: string }) => s.assetKey === "failing/after_broken").status).toBe(
      "skipped",
    );
  });

  test("POST /api/runs/:id/cancel cancels a running run; cancelling it again is 409, unknown ids 404", async () => {
    const { run } = (await t.post("/api/runs", { selection: "slow/waits" })).json();
    for (let i = 0; i < 200 && !t.probe.calls.includes("slow"); i++)
      await new Promise((r) => setTimeout(r, 10));
    const cancelled = await t.post(`/api/runs/${run.runId}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().run.runId).toBe(run.runId);
    expect((await t.waitForRun(run.runId)).status).toBe("canceled");
    const again = await t.post(`/api/runs/${run.runId}/cancel`);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe("STRATA_ERR_RUN_STATE");
    const unknown = await t.post("/api/runs/00000000-0000-0000-0000-000000000000/cancel");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe("STRATA_ERR_UNKNOWN_RUN");
    expect((await t.post("/api/runs/not%20an%20id/cancel")).statusCode).toBe(400);
    expect((await get("/api/runs/00000000-0000-0000-0000-000000000000")).statusCode).toBe(404);
    expect((await get("/api/runs/00000000-0000-0000-0000-000000000000/events")).statusCode).toBe(404);
  });

  test("cancelling a run executing in another process records the request for that process", async () => {
    const run = await t.workspace.materializer.submit({ selection: "diamond/top" });
    await t.workspace.storage.claimRun(run.runId, Date.now()); // as another launcher would
    const response = await t.post(`/api/runs/${run.runId}/cancel`);
    expect(response.statusCode).toBe(200);
    expect(response.json().run).toMatchObject({ status: "started", cancelRequestedAt: expect.any(Number) });
    await t.workspace.storage.updateRun(run.runId, { status: "canceled", endedAt: Date.now() });
  });

  test("GET /api/runs/:id/stream replays a finished run's events as SSE and ends", async () => {
    const { runId } = await t.workspace.materializer.materialize({ selection: "diamond/top" });
    const response = await get(`/api/runs/${runId}/stream`);
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("text/event-stream");
    const types = [...response.body.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(types[0]).toBe("RUN_STARTED");
    expect(types.at(-1)).toBe("RUN_SUCCESS");
    const resumed = await t.app.inject({
      method: "GET",
      url: `/api/runs/${runId}/stream`,
      headers: { "last-event-id": String(Number(response.body.match(/^id: (\d+)$/m)?.[1])) },
    });
    expect([...resumed.body.matchAll(/^event: (\w+)$/gm)]).toHaveLength(types.length - 1);
  });
});

describe("backfills API", () => {
  test("POST /api/backfills runs every partition of the range; list shows it completed", async () => {
    const response = await t.post("/api/backfills", {
      selection: "parts/raw",
      from: "2024-03-01",
      to: "2024-03-04",
    });
    expect(response.statusCode).toBe(201);
    const { backfill } = response.json();
    expect(backfill.partitions).toEqual(["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]);
    for (let i = 0; i < 400; i++) {
      const record = await t.workspace.storage.getBackfill(backfill.backfillId);
      if (record?.status !== "requested") break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const listed = (await get("/api/backfills")).json().backfills;
    expect(listed.find((b: { backfillId: string }) => b.backfillId === backfill.backfillId)).toMatchObject({
      status: "completed",
      completed: backfill.partitions,
    });
    const cancel = await t.post(`/api/backfills/${backfill.backfillId}/cancel`);
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json().code).toBe("STRATA_ERR_BACKFILL_STATE");
  });

  test("a backfill of unpartitioned assets, or with missing fields, is refused", async () => {
    expect(
      (
        await t.post("/api/backfills", { selection: "diamond/top", from: "2024-01-01", to: "2024-01-02" })
      ).json().code,
    ).toBe("STRATA_ERR_PARTITION_MISMATCH");
    expect((await t.post("/api/backfills", { selection: "parts/raw", from: "2024-01-01" })).json().code).toBe(
      "STRATA_ERR_INVALID_REQUEST",
    );
    expect((await t.post("/api/backfills/abc-def/cancel")).statusCode).toBe(404);
  });
});
