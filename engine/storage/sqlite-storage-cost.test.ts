import Database from "better-sqlite3";
import { describe, expect, test } from "vitest";
import type { EventInput } from "./records.ts";
import { openStorage as open, registerCleanup, makeRun as run, tempFile } from "./sqlite-storage.fixtures.ts";

registerCleanup();

/**
 * Not assertions (the machine is shared): the cost of a 1,000-asset run's ~4,000 events, printed
 * next to the cost of 4,000 bare commits on the same disk, which no per-event commit can beat.
 */
function commitFloor(): number {
  const db = new Database(tempFile("floor.sqlite"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec("CREATE TABLE e (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, type TEXT, message TEXT)");
  const insert = db.prepare("INSERT INTO e (run_id, type, message) VALUES (?, ?, ?)");
  for (let i = 0; i < 400; i++) insert.run("warm", "LOG", "m");
  const started = performance.now();
  for (let i = 0; i < 4000; i++) insert.run("big", "LOG", "m");
  const elapsed = performance.now() - started;
  db.close();
  return elapsed;
}

const step = (type: "STEP_STARTED" | "STEP_SUCCESS", runId: string, assetKey: string): EventInput => ({
  runId,
  type,
  timestamp: 1,
  assetKey,
  message: type,
});

describe("SQLite run storage: append cost", () => {
  test.each([":memory:", "file"])("4,000 single appendEvent calls (a 1,000-asset run), %s", async (where) => {
    const storage = open(where === "file" ? tempFile() : where);
    await storage.createRun(run("big", { status: "started" }));
    const events: EventInput[] = [];
    for (let i = 0; i < 1000; i++) {
      const assetKey = `layer/asset_${i}`;
      events.push(
        step("STEP_STARTED", "big", assetKey),
        {
          runId: "big",
          type: "ASSET_MATERIALIZATION",
          timestamp: 2,
          assetKey,
          message: "m",
          data: { metadata: { rows: { type: "int", value: i } }, dataVersion: `${i}` },
        },
        {
          runId: "big",
          type: "CHECK_EVALUATION",
          timestamp: 3,
          assetKey,
          message: "c",
          data: { checkName: "rows", passed: true, severity: "error", blocking: true, metadata: {} },
        },
        step("STEP_SUCCESS", "big", assetKey),
      );
    }
    // warm up the JIT and the statement cache, so the numbers are steady-state costs
    for (const event of events.slice(0, 400)) await storage.appendEvent({ ...event, runId: "warm" });
    const started = performance.now();
    for (const event of events) await storage.appendEvent(event);
    const single = performance.now() - started;
    const batchStarted = performance.now();
    await storage.appendEvents(events);
    const batch = performance.now() - batchStarted;
    const floor =
      where === "file" ? `; floor (4,000 commits to a bare table) ${commitFloor().toFixed(1)} ms` : "";
    console.log(
      `append cost (${where}): ${events.length} appendEvent calls ${single.toFixed(1)} ms ` +
        `(${((single / events.length) * 1000).toFixed(1)} µs each); one appendEvents ${batch.toFixed(1)} ms${floor}`,
    );
    expect(await storage.listEvents("big", { limit: 10_000 })).toHaveLength(2 * events.length);
  });
});
