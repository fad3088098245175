import { describe, expect, it } from "vitest";
import type { CliIO } from "../../engine/index.ts";
import { doctor } from "./doctor.ts";

async function run(env: Record<string, string>): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const io: CliIO = { out: (line) => lines.push(line), err: (line) => lines.push(line), isTTY: false };
  const code = await doctor(
    { STRATA_CONFIG: "/nonexistent.json", ...env },
    "/srv/strata",
    { connectivity: false },
    io,
  );
  return { code, lines };
}

const s3 = {
  STRATA_LAKE: "s3://sales-lake/prod",
  STRATA_S3_ENDPOINT: "https://minio.internal:9000",
  STRATA_S3_ACCESS_KEY_ID: "strata-pipeline",
  STRATA_S3_SECRET_ACCESS_KEY: "a-long-generated-secret-value",
};

describe("strata doctor (configuration)", () => {
  it("passes a sound S3 configuration and never prints the secret", async () => {
    const { code, lines } = await run(s3);
    expect(code).toBe(0);
    expect(lines.join("\n")).toContain(
      "ok    lake: s3://sales-lake/prod (region us-east-1, endpoint https://minio.internal:9000)",
    );
    expect(lines.join("\n")).toContain("static key stra… (secret not shown)");
    expect(lines.join("\n")).not.toContain("a-long-generated-secret-value");
    expect(lines.at(-1)).toBe("0 error(s), 0 warning(s) (connectivity not tested: --connectivity)");
  });

  it("fails on default MinIO credentials and template placeholders", async () => {
    const { code, lines } = await run({
      ...s3,
      STRATA_S3_ACCESS_KEY_ID: "minioadmin",
      STRATA_S3_SECRET_ACCESS_KEY: "minioadmin",
      STRATA_S3_REGION: "<region>",
    });
    expect(code).toBe(1);
    const report = lines.join("\n");
    expect(report).toContain("STRATA_S3_REGION: still holds a template placeholder");
    expect(report).toMatch(/ERROR config: STRATA_S3_REGION="<region>" must be a region name/);
  });

  it("reports default credentials, plain HTTP off loopback and SSE off", async () => {
    const { code, lines } = await run({
      ...s3,
      STRATA_S3_ENDPOINT: "http://10.0.0.5:9000",
      STRATA_S3_ACCESS_KEY_ID: "minioadmin",
      STRATA_S3_SECRET_ACCESS_KEY: "minioadmin",
      STRATA_S3_SSE: "none",
    });
    expect(code).toBe(1);
    const report = lines.join("\n");
    expect(report).toContain("ERROR credentials:");
    expect(report).toContain("warn  endpoint: http://10.0.0.5:9000 is plain HTTP");
    expect(report).toContain("warn  encryption: STRATA_S3_SSE=none");
    expect(lines.at(-1)).toMatch(/^1 error\(s\), 2 warning\(s\)/);
  });

  it("lists every configuration problem, and warns about S3 settings on a local lake", async () => {
    const bad = await run({
      STRATA_LAKE: "s3://x",
      STRATA_S3_SSE: "aes",
      STRATA_S3_ACCESS_KEY_ID: "id-only",
    });
    expect(bad.code).toBe(1);
    expect(bad.lines.filter((line) => line.includes("ERROR config:"))).toHaveLength(3);
    const local = await run({ STRATA_LAKE: "/data/lake", STRATA_S3_ENDPOINT: "http://127.0.0.1:9000" });
    expect(local.code).toBe(0);
    expect(local.lines.join("\n")).toContain(
      "warn  lake: STRATA_S3_ENDPOINT set but STRATA_LAKE is a local folder",
    );
  });
});
