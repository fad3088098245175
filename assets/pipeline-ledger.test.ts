import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smallCsvFiles } from "../sensors/testing/landing-pipeline.ts";
import { addToDayIndex } from "./bronze/day-index.ts";
import { byContentKey, encodeManifest, type ManifestRecord } from "./bronze/manifest.ts";
import { SILVER_SALES_TABLE } from "./silver/sales.ts";
import { PipelineHarness } from "./testing/pipeline-harness.ts";

/**
 * Silver's ledger when Bronze runs of one day race: an object ingested earlier can reach the day
 * index after Silver has applied a later one, and after the Bronze value Silver loads was stored.
 */
describe("Silver ledger with racing Bronze runs", () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await PipelineHarness.open();
  });
  afterAll(async () => h.close());

  it("applies an object that an earlier-started Bronze run indexes after Silver ran", async () => {
    const [early, late] = smallCsvFiles(2, 3);
    if (early === undefined || late === undefined) throw new Error("generator returned too few files");
    const now = Date.now();
    const day = await h.land("late.csv", late, now);
    expect((await h.run("bronze/sales_csv", day)).status).toBe("success");
    expect((await h.run(SILVER_SALES_TABLE, day)).status).toBe("success");

    // A Bronze run that started before the one above commits its object only now.
    const sha256 = createHash("sha256").update(early).digest("hex");
    const record: ManifestRecord = {
      objectKey: `bronze/sales_csv/racing/${sha256.slice(0, 16)}-early.csv`,
      originalName: "early.csv",
      landingKey: "landing/sales/early.csv",
      sha256,
      size: early.length,
      rowCount: 3,
      ingestedAt: now - 60_000,
      ingestedAtIso: new Date(now - 60_000).toISOString(),
      partition: day,
      runId: "racing-bronze-run",
    };
    await h.lake.put(record.objectKey, early);
    await h.lake.putIfAbsent(byContentKey(sha256), encodeManifest(record));
    await addToDayIndex(h.lake, record);

    // Only Silver runs: the Bronze value it loads predates the early object.
    const rerun = await h.run(SILVER_SALES_TABLE, day);
    expect(rerun.status).toBe("success");
    const history = await h.workspace.storage.materializations(SILVER_SALES_TABLE);
    const processed = history.map((m) => m.metadata.objects_processed);
    expect(processed).toEqual([
      { type: "int", value: 1 },
      { type: "int", value: 1 },
    ]);
    expect((await h.tables.table(SILVER_SALES_TABLE).read()).height).toBe(6);

    // And a third run has nothing left to do.
    await h.run(SILVER_SALES_TABLE, day);
    const third = (await h.workspace.storage.materializations(SILVER_SALES_TABLE))[0];
    expect(third?.metadata.objects_processed).toEqual({ type: "int", value: 0 });
  });
});
