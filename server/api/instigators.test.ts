import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openTestApp, type TestApp } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
  await t.workspace.storage.addTick({
    kind: "sensor",
    name: "nothing_new",
    timestamp: Date.UTC(2024, 0, 1),
    status: "skipped",
    runIds: [],
    skipReason: "no new files",
  });
});
afterAll(() => t.close());

const get = (url: string) => t.app.inject({ method: "GET", url });

describe("sensors and schedules API", () => {
  test("GET /api/sensors and /api/schedules list definitions, state and ticks", async () => {
    const { sensors } = (await get("/api/sensors")).json();
    expect(sensors).toEqual([
      expect.objectContaining({
        kind: "sensor",
        name: "nothing_new",
        target: "diamond/top",
        running: true,
        intervalSeconds: 30,
      }),
    ]);
    expect(sensors[0].ticks).toEqual([
      expect.objectContaining({ status: "skipped", skipReason: "no new files" }),
    ]);
    const { schedules } = (await get("/api/schedules")).json();
    expect(schedules).toEqual([
      expect.objectContaining({
        name: "nightly",
        cron: "0 2 * * *",
        timezone: "UTC",
        running: false,
        ticks: [],
      }),
    ]);
  });

  test("GET one with a tick limit; unknown names 404, malformed names 400", async () => {
    expect((await get("/api/sensors/nothing_new?limit=1")).json().ticks).toHaveLength(1);
    const unknown = await get("/api/sensors/nope");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe("STRATA_ERR_NOT_FOUND");
    expect((await get("/api/schedules/Bad-Name")).statusCode).toBe(400);
    expect((await get("/api/sensors/nothing_new?limit=-1")).statusCode).toBe(400);
  });

  test("start/stop switch the state the daemon reads, and need the token", async () => {
    const stopped = await t.post("/api/sensors/nothing_new/stop");
    expect(stopped.statusCode).toBe(200);
    expect(stopped.json().running).toBe(false);
    expect(await t.workspace.storage.getCursor("sensor:nothing_new:state")).toBe("stopped");
    expect((await t.post("/api/schedules/nightly/start")).json().running).toBe(true);
    expect((await get("/api/schedules/nightly")).json().running).toBe(true);
    const anonymous = await t.app.inject({ method: "POST", url: "/api/sensors/nothing_new/start" });
    expect(anonymous.statusCode).toBe(401);
    expect((await get("/api/sensors/nothing_new")).json().running).toBe(false);
    expect((await t.post("/api/schedules/unknown_one/stop")).statusCode).toBe(404);
  });
});
