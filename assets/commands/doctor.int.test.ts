import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIO } from "../../engine/index.ts";
import { S3ObjectStore } from "../../resources/object-store/s3-object-store.ts";
import {
  MINIO_START_TIMEOUT_MS,
  type MinioServer,
  startMinio,
} from "../../resources/object-store/testing/minio.ts";
import { doctor } from "./doctor.ts";

let minio: MinioServer;
beforeAll(async () => {
  minio = await startMinio();
}, MINIO_START_TIMEOUT_MS);
afterAll(async () => {
  await minio?.stop();
});

async function run(env: Record<string, string>): Promise<{ code: number; report: string }> {
  const lines: string[] = [];
  const io: CliIO = { out: (line) => lines.push(line), err: (line) => lines.push(line), isTTY: false };
  const code = await doctor(
    { STRATA_CONFIG: "/nonexistent.json", ...env },
    "/tmp",
    { connectivity: true },
    io,
  );
  return { code, report: lines.join("\n") };
}

describe("strata doctor --connectivity on MinIO", () => {
  it("round-trips the lake (put, list, get, refused put-if-absent, delete) and leaves nothing", async () => {
    const { code, report } = await run(minio.configEnv("doctor"));
    expect(report).toMatch(
      /ok {4}connectivity: s3:\/\/.*\/doctor: lake round trip: put \d+ ms, list \d+ ms, get \d+ ms, put-if-absent \d+ ms, delete \d+ ms/,
    );
    expect(code).toBe(0);
    const lake = new S3ObjectStore(minio.settings("doctor"));
    const leftovers: string[] = [];
    for await (const info of lake.list("")) leftovers.push(info.key);
    lake.close();
    expect(leftovers).toEqual([]);
  });

  it("fails with the server's reason on wrong credentials, without printing the secret", async () => {
    const { code, report } = await run({
      ...minio.configEnv("doctor"),
      STRATA_S3_SECRET_ACCESS_KEY: "definitely-not-the-secret",
    });
    expect(code).toBe(1);
    expect(report).toContain("ERROR connectivity");
    expect(report).toContain("SignatureDoesNotMatch");
    expect(report).not.toContain("definitely-not-the-secret");
  });
});
