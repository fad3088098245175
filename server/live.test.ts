import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { EventRecord } from "../engine/index.ts";
import { LiveEvents } from "./live.ts";
import { openTestApp, type TestApp } from "./testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(() => t.close());

describe("live events", () => {
  test("in-process events arrive at once; events written by another process arrive by polling, each once", async () => {
    const live = new LiveEvents(t.workspace.storage, t.workspace.materializer, 60_000);
    const seen: EventRecord[] = [];
    const unsubscribe = live.subscribe((event) => seen.push(event));
    await live.poll(); // sets the watermark: history is not replayed
    const { runId } = await t.workspace.materializer.materialize({ selection: "diamond/top" });
    const inProcess = seen.filter((e) => e.runId === runId).length;
    expect(inProcess).toBeGreaterThanOrEqual(4);
    // Another process writes to the same storage: only polling can see it.
    const foreign = await t.workspace.storage.appendEvent({
      runId: "other-process-run",
      type: "LOG",
      timestamp: Date.now(),
      message: "written elsewhere",
    });
    expect(seen.some((e) => e.id === foreign.id)).toBe(false);
    await live.poll();
    await live.poll();
    expect(seen.filter((e) => e.id === foreign.id)).toHaveLength(1);
    expect(seen.filter((e) => e.runId === runId)).toHaveLength(inProcess); // no duplicates
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    unsubscribe();
    live.close();
  });

  test("the global SSE stream carries new events to a connected client", async () => {
    const response = await t.app.inject({ method: "GET", url: "/api/stream", payloadAsStream: true });
    expect(response.headers["content-type"]).toContain("text/event-stream");
    const stream = response.stream();
    let text = "";
    stream.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    await new Promise((r) => setTimeout(r, 100));
    const { runId } = await t.workspace.materializer.materialize({ selection: "diamond/top" });
    for (let i = 0; i < 100 && !text.includes("RUN_SUCCESS"); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(text).toContain("event: RUN_STARTED");
    expect(text).toContain(`"runId":"${runId}"`);
    expect(text).toContain("event: RUN_SUCCESS");
    stream.destroy();
  });

  test("a reconnecting client (Last-Event-ID) first gets the events it missed", async () => {
    const before = await t.workspace.storage.latestEventId();
    const { runId } = await t.workspace.materializer.materialize({ selection: "diamond/top" });
    const response = await t.app.inject({
      method: "GET",
      url: "/api/stream",
      headers: { "last-event-id": String(before) },
      payloadAsStream: true,
    });
    const stream = response.stream();
    let text = "";
    stream.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    for (let i = 0; i < 100 && !text.includes("RUN_SUCCESS"); i++)
      await new Promise((r) => setTimeout(r, 20));
    const missed = (await t.workspace.storage.listEvents(runId)).map((e) => e.type);
    expect([...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1])).toEqual(missed);
    stream.destroy();
  });
});
