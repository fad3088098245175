/**
 * The whole pipeline with its lake on MinIO, switched by configuration only (STRATA_LAKE=s3://…):
 * the real sample through Bronze (SSE and object metadata on S3), Silver (Delta commits by
 * conditional PUT) and Gold (DuckDB reading Silver's Parquet from the local file cache).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  MINIO_START_TIMEOUT_MS,
  type MinioServer,
  startMinio,
} from "../resources/object-store/testing/minio.ts";
import { SAMPLE_CSV } from "./commands/demo.ts";
import { collectSummary } from "./commands/summary.ts";
import { PipelineHarness } from "./testing/pipeline-harness.ts";

describe("the pipeline on an S3 lake (MinIO)", () => {
  let minio: MinioServer;
  let h: PipelineHarness;
  let partition: string;

  beforeAll(async () => {
    minio = await startMinio();
    Object.assign(process.env, minio.configEnv("lake"));
    h = await PipelineHarness.open();
    partition = await h.land(
      "global_superstore_sample.csv",
      new Uint8Array(readFileSync(SAMPLE_CSV)),
      Date.now(),
    );
    const result = await h.run("*", partition);
    expect(result.status).toBe("success");
  }, MINIO_START_TIMEOUT_MS);
  afterAll(async () => {
    await h?.close();
    await minio?.stop();
  });

  test("the lake is the S3 store; Bronze keeps the bytes with their hash and ingestion time", async () => {
    expect(h.lake.url).toBe(`s3://${minio.bucket}/lake`);
    const bronze = [];
    for await (const info of h.lake.list("bronze/sales_csv/")) bronze.push(info);
    expect(bronze).toHaveLength(1);
    const head = await h.lake.head(bronze[0]?.key ?? "");
    expect(head?.size).toBe(readFileSync(SAMPLE_CSV).length);
    expect(head?.metadata.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(head?.metadata["ingested-at"]).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  test("Silver reconciles on S3 and Gold's facts match, read through the local file cache", async () => {
    const summary = await collectSummary(h.workspace);
    expect(summary.bronze).toEqual({ objects: 1, rows: 2743, refused: 0 });
    const [reconciliation] = await h.workspace.storage.checkResults("silver/sales", {
      checkName: "reconciliation",
    });
    expect(reconciliation?.passed).toBe(true);
    expect(await h.scalar("select count(*) from marts.fact_sales")).toBe(2743);
    const cached = readdirSync(join(h.dir, ".strata", "cache", "lake", "silver", "sales"), {
      recursive: true,
    });
    expect(cached.some((name) => String(name).endsWith(".parquet"))).toBe(true);
    expect(summary.checks.failedError).toBe(0);
  });
});
