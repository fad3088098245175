import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Daemon } from "../engine/daemon/daemon.ts";
import { type AssetKey, layerOf } from "../engine/index.ts";
import { SAMPLE_CSV } from "./commands/demo.ts";
import { PipelineHarness } from "./testing/pipeline-harness.ts";

/** Landing sensor → Bronze; Silver and Gold follow by automation, each exactly once. */
describe("automation on the real pipeline", () => {
  let h: PipelineHarness;
  let daemon: Daemon;
  const errors: Error[] = [];

  async function settle(): Promise<number> {
    const before = (await h.workspace.storage.listRuns()).length;
    for (let i = 0; i < 30; i++) {
      const count = (await h.workspace.storage.listRuns()).length;
      await daemon.tick();
      await daemon.drain();
      if (i > 2 && (await h.workspace.storage.listRuns()).length === count) break;
    }
    return (await h.workspace.storage.listRuns()).length - before;
  }

  beforeAll(async () => {
    h = await PipelineHarness.open();
    const { storage, materializer, backfills, clock } = h.workspace;
    daemon = new Daemon(storage, materializer, backfills, clock, {
      maxConcurrentRuns: 4,
      onError: (e) => errors.push(e),
    });
    await h.land("sample.csv", new Uint8Array(readFileSync(SAMPLE_CSV)), Date.now());
    await settle();
  });
  afterAll(async () => h.close());

  test("a landed file flows to Gold: one Bronze run from the sensor, then Silver and every Gold model once", async () => {
    expect(errors).toEqual([]);
    const runs = await h.workspace.storage.listRuns();
    expect(runs.every((run) => run.status === "success")).toBe(true);
    const bySensor = runs.filter((run) => run.origin?.kind === "sensor");
    expect(bySensor).toHaveLength(1);
    expect(bySensor[0]?.assetKeys).toEqual(["bronze/sales_csv"]);
    const materialized = new Map<AssetKey, number>();
    // The Kafka stream assets run only when a broker is configured (none here).
    for (const key of h.workspace.definitions.graph.order.filter((k) => !k.endsWith("/sales_events"))) {
      materialized.set(key, (await h.workspace.storage.materializations(key)).length);
    }
    for (const [key, count] of materialized) {
      expect.soft(count, key).toBe(1);
    }
    expect([...materialized.keys()].filter((k) => layerOf(k) === "gold")).toHaveLength(13);
    expect(await h.scalar("select count(*) from marts.fact_sales")).toBe(2743);
  });

  test("nothing runs again without new data", async () => {
    expect(await settle()).toBe(0);
  });
});
