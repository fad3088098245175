import { describe, expect, it } from "vitest";
import { StrataError } from "../../engine/errors.ts";
import { loadConfig } from "./config.ts";

const cwd = "/srv/strata";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ STRATA_CONFIG: "/nonexistent.json", ...env }, cwd);
  } catch (error) {
    if (StrataError.is(error, "STRATA_ERR_CONFIG") && Array.isArray(error.details.problems))
      return error.details.problems.map(String);
    throw error;
  }
  return [];
}

describe("lake configuration", () => {
  it("defaults to a folder under STRATA_HOME; relative and file:// folders are resolved", () => {
    expect(loadConfig({ STRATA_CONFIG: "/x.json" }, cwd).lake).toEqual({
      kind: "local",
      root: "/srv/strata/.strata/lake",
    });
    expect(loadConfig({ STRATA_CONFIG: "/x.json", STRATA_LAKE: "file:///data/lake" }, cwd).lake).toEqual({
      kind: "local",
      root: "/data/lake",
    });
  });

  it("s3://bucket/prefix with endpoint, static keys and SSE", () => {
    const config = loadConfig(
      {
        STRATA_CONFIG: "/x.json",
        STRATA_LAKE: "s3://sales-lake/prod/v1/",
        STRATA_S3_ENDPOINT: "http://127.0.0.1:9000",
        STRATA_S3_REGION: "eu-west-1",
        STRATA_S3_ACCESS_KEY_ID: "AKIAEXAMPLE",
        STRATA_S3_SECRET_ACCESS_KEY: "secret-example",
        STRATA_S3_SSE: "aws:kms",
        STRATA_S3_SSE_KMS_KEY_ID: "alias/lake",
      },
      cwd,
    );
    expect(config.lake).toEqual({
      kind: "s3",
      url: "s3://sales-lake/prod/v1",
      s3: {
        bucket: "sales-lake",
        prefix: "prod/v1",
        region: "eu-west-1",
        endpoint: "http://127.0.0.1:9000",
        credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "secret-example" },
        sse: "aws:kms",
        sseKmsKeyId: "alias/lake",
      },
    });
  });

  it("AWS defaults: region from AWS_REGION, the default credential chain, SSE-S3", () => {
    const config = loadConfig(
      { STRATA_CONFIG: "/x.json", STRATA_LAKE: "s3://lake-1", AWS_REGION: "us-west-2" },
      cwd,
    );
    expect(config.lake).toEqual({
      kind: "s3",
      url: "s3://lake-1",
      s3: { bucket: "lake-1", prefix: "", region: "us-west-2", sse: "AES256" },
    });
  });

  it("reports every S3 problem at once", () => {
    const problems = problemsOf({
      STRATA_LAKE: "s3://Bad_Bucket//x",
      STRATA_S3_ENDPOINT: "127.0.0.1:9000",
      STRATA_S3_REGION: "EU WEST",
      STRATA_S3_ACCESS_KEY_ID: "only-the-id",
      STRATA_S3_SSE: "aes",
      STRATA_SALES_OUTLIER_THRESHOLD: "-1",
    });
    expect(problems).toHaveLength(7);
    expect(problems.join("\n")).toMatch(/"Bad_Bucket" is not a valid bucket name/);
    expect(problems.join("\n")).toMatch(/empty path segments/);
    expect(problems.join("\n")).toMatch(/STRATA_S3_ENDPOINT="127.0.0.1:9000" must be http\(s\):\/\/host/);
    expect(problems.join("\n")).toMatch(/STRATA_S3_REGION="EU WEST"/);
    expect(problems.join("\n")).toMatch(/go together/);
    expect(problems.join("\n")).toMatch(/STRATA_S3_SSE="aes" must be one of AES256, aws:kms, none/);
    expect(problems.join("\n")).toMatch(/STRATA_SALES_OUTLIER_THRESHOLD/);
  });

  it("refuses other URL schemes and a KMS key without aws:kms", () => {
    expect(problemsOf({ STRATA_LAKE: "gs://bucket/x" })).toEqual([
      'STRATA_LAKE="gs://bucket/x": use a local folder, file://<folder> or s3://<bucket>/<prefix>',
    ]);
    expect(problemsOf({ STRATA_LAKE: "s3://lake-1", STRATA_S3_SSE_KMS_KEY_ID: "k" })).toEqual([
      "STRATA_S3_SSE_KMS_KEY_ID is only used with STRATA_S3_SSE=aws:kms",
    ]);
  });
});

describe("warehouse configuration", () => {
  it("DuckDB threads per statement: 1 by default, a whole number from 1 to 256 otherwise", () => {
    expect(loadConfig({ STRATA_CONFIG: "/x.json" }, cwd).warehouse).toEqual({
      kind: "duckdb",
      path: "/srv/strata/.strata/warehouse.duckdb",
      threads: 1,
    });
    expect(
      loadConfig({ STRATA_CONFIG: "/x.json", STRATA_WAREHOUSE_THREADS: "8" }, cwd).warehouse.threads,
    ).toBe(8);
    for (const bad of ["0", "2.5", "many", "1000"]) {
      expect(problemsOf({ STRATA_WAREHOUSE_THREADS: bad })).toEqual([
        `STRATA_WAREHOUSE_THREADS="${bad}" must be a whole number from 1 to 256`,
      ]);
    }
  });
});
