import { get } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type DevServer, startDev, tokenNotice } from "./dev.ts";
import { openTestApp, type TestApp } from "./testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(() => t.close());

describe("strata dev", () => {
  test("starts the UI with the daemon on loopback, and stops even with a browser stream open", async () => {
    const lines: string[] = [];
    const server: DevServer = await startDev(t.workspace, {
      host: "127.0.0.1",
      port: 0,
      daemon: true,
      loopIntervalMs: 50,
      log: (line) => lines.push(line),
    });
    console.log(`strata dev (test graph): server built and listening in ${server.listenMs.toFixed(0)} ms`);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.token.source).toBe("generated");
    expect(tokenNotice(server.token)).toContain(server.token.token); // printed once, when generated
    const rebound = await server.app.inject({
      method: "GET",
      url: "/api/health",
      headers: { host: "evil.example:3000" },
    });
    expect(rebound.statusCode).toBe(401);
    expect(rebound.json().code).toBe("STRATA_ERR_UNAUTHORIZED");
    const health = await fetch(`${server.url}/api/health`);
    expect(await health.json()).toMatchObject({ status: "ok", daemon: true });
    // The daemon ticks the sensor: its skipped tick shows up in the API.
    for (let i = 0; i < 100; i++) {
      if ((await t.workspace.storage.listTicks("sensor", "nothing_new", 1)).length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await (await fetch(`${server.url}/api/sensors/nothing_new`)).json()).toMatchObject({
      ticks: [expect.objectContaining({ status: "skipped", skipReason: "no new files" })],
    });
    const stream = await new Promise<import("node:http").IncomingMessage>((resolve) =>
      get(`${server.url}/api/stream`, resolve),
    );
    expect(stream.headers["content-type"]).toContain("text/event-stream");
    const ended = new Promise((resolve) => stream.on("end", resolve));
    stream.resume();
    await server.close();
    await ended;
    expect(lines.filter((line) => !line.startsWith("daemon:"))).toEqual([]);
  });

  test("a second start reuses the stored token and does not show it", async () => {
    const server = await startDev(t.workspace, { host: "127.0.0.1", port: 0, daemon: false, log: () => {} });
    expect(server.token.source).toBe("state-dir");
    expect(tokenNotice(server.token)).not.toContain(server.token.token);
    await server.close();
  });
});
