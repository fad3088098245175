import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SAMPLE_CSV } from "./commands/demo.ts";
import { collectSummary } from "./commands/summary.ts";
import { PipelineHarness } from "./testing/pipeline-harness.ts";

const sample = new Uint8Array(readFileSync(SAMPLE_CSV));
const DAY1 = Date.parse("2026-11-20T09:30:00Z");

describe("the pipeline on the real sample", () => {
  let h: PipelineHarness;
  let partition: string;
  beforeAll(async () => {
    h = await PipelineHarness.open();
    partition = await h.land("global_superstore_sample.csv", sample, DAY1);
    const result = await h.run("*", partition);
    expect(result.status).toBe("success");
  });
  afterAll(async () => h.close());

  test("Bronze rows = Silver + quarantine, and the reconciliation check passed", async () => {
    const summary = await collectSummary(h.workspace);
    const quarantined = Object.values(summary.quarantineByReason).reduce((a, b) => a + b, 0);
    expect(summary.bronze).toEqual({ objects: 1, rows: 2743, refused: 0 });
    expect(summary.silverRows + quarantined).toBe(2743);
    const [reconciliation] = await h.workspace.storage.checkResults("silver/sales", {
      checkName: "reconciliation",
    });
    expect(reconciliation).toMatchObject({
      passed: true,
      description: "2743 read = 2743 inserted + 0 updated + 0 unchanged + 0 quarantined",
    });
  });

  test("every fact has a date key and fewer than 1% miss another dimension key", async () => {
    expect(await h.scalar("select count(*) from marts.fact_sales")).toBe(2743);
    expect(await h.scalar("select count(*) from marts.fact_sales where order_date_key is null")).toBe(0);
    const missing = await h.scalar(
      "select count(*) from marts.fact_sales where customer_key is null or product_key is null or store_key is null",
    );
    expect(missing / 2743).toBeLessThan(0.01);
  });

  test("every data test ran as an asset check and passed", async () => {
    const summary = await collectSummary(h.workspace);
    expect(summary.checks.failing).toEqual([]);
    expect(summary.checks.passed).toBeGreaterThanOrEqual(150);
  });

  test("non-ASCII names survive to Gold byte-exact and postal codes stay strings", async () => {
    const cities = await h.query(
      "select distinct city from marts.dim_store where city in ('Juárez', 'Paysandú', 'Bogotá') order by city",
    );
    expect(cities.map((r) => r.city)).toEqual(["Bogotá", "Juárez", "Paysandú"]);
    const silver = await h.tables.table("silver/sales").read();
    // postal codes stay strings (the sample's 4-digit US codes, e.g. 1841, lost their zero upstream)
    const postal = new Set(silver.getColumn("postal_code").toArray());
    expect(postal.has("10024")).toBe(true);
    expect(postal.has("1841")).toBe(true);
  });

  test("running the same input again changes nothing", async () => {
    const versionBefore = (await h.tables.table("silver/sales").snapshot()).version;
    const customerVersions = await h.scalar("select count(*) from snapshots.customer_history");
    const again = await h.run("*", partition);
    expect(again.status).toBe("success");
    expect((await h.tables.table("silver/sales").snapshot()).version).toBe(versionBefore);
    expect(await h.scalar("select count(*) from snapshots.customer_history")).toBe(customerVersions);
    expect(await h.scalar("select count(*) from marts.fact_sales")).toBe(2743);
  });

  test("the same bytes under a new name ingest nothing new", async () => {
    await h.land("renamed_copy.csv", sample, DAY1 + 3600_000);
    const result = await h.run("bronze/sales_csv,silver/sales", partition);
    expect(result.status).toBe("success");
    const bronze = await h.workspace.storage.latestMaterialization("bronze/sales_csv", partition);
    expect(bronze?.metadata).toMatchObject({
      objects_ingested: { value: 0 },
      objects_already_ingested: { value: 2 },
      objects_in_partition: { value: 1 },
    });
    expect((await collectSummary(h.workspace)).bronze).toEqual({ objects: 1, rows: 2743, refused: 0 });
  });
});
