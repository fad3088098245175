import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SAMPLE_CSV } from "./commands/demo.ts";
import { generateSalesCsv } from "./data-gen/index.ts";
import { REJECTION_REASONS } from "./silver/transform/index.ts";
import { PipelineHarness } from "./testing/pipeline-harness.ts";

const sampleText = readFileSync(SAMPLE_CSV, "utf8");
const [HEADER = "", ...LINES] = sampleText.split("\n");
const day = (n: number): number => Date.parse(`2026-11-${String(n).padStart(2, "0")}T10:00:00Z`);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

async function quarantineByReason(h: PipelineHarness, partition: string): Promise<Record<string, number>> {
  const materialization = await h.workspace.storage.latestMaterialization(
    "silver/sales_quarantine",
    partition,
  );
  const counts: Record<string, number> = {};
  for (const reason of REJECTION_REASONS) {
    const value = materialization?.metadata[`reason_${reason}`];
    counts[reason] = value?.type === "int" ? value.value : -1;
  }
  return counts;
}

async function stepError(h: PipelineHarness, runId: string): Promise<string> {
  const events = await h.workspace.storage.listEvents(runId, { types: ["STEP_FAILURE"] });
  return events.map((e) => e.message).join("\n");
}

describe("pipeline inputs", () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await PipelineHarness.open();
  });
  afterAll(async () => h.close());

  test("generated data at 1x: quarantine counts per reason equal the generator's expected counts", async () => {
    const generated = generateSalesCsv({ rows: 51_290, seed: 7, errors: 0.02 });
    const partition = await h.land(
      "generated_1x.csv",
      new Uint8Array(generated.csv ?? Buffer.alloc(0)),
      day(1),
    );
    const result = await h.run("bronze/sales_csv,silver/sales", partition);
    expect(result.status).toBe("success");
    expect(await quarantineByReason(h, partition)).toEqual(generated.expected);
    const silver = await h.workspace.storage.latestMaterialization("silver/sales", partition);
    expect(silver?.metadata.inserted).toEqual({ type: "int", value: generated.expectedSilverRows });
    expect(Object.values(generated.expected).every((n) => n > 0)).toBe(true);
  });

  test("a file missing a required column is refused with a code and nothing reaches Silver", async () => {
    const withoutSales = [HEADER, ...LINES.slice(0, 20)]
      .map((line) =>
        line
          .split(",")
          .filter((_, i) => i !== 18)
          .join(","),
      )
      .join("\n");
    const partition = await h.land("no_sales_column.csv", utf8(`${withoutSales}\n`), day(2));
    const result = await h.run("bronze/sales_csv,silver/sales", partition);
    expect(result.status).toBe("failure");
    expect(await stepError(h, result.runId)).toMatch(/STRATA_ERR_SILVER_MISSING_COLUMN.*Sales/);
    expect(await h.workspace.storage.latestMaterialization("silver/sales", partition)).toBeUndefined();
  });

  test("a truncated file is refused with a code and nothing reaches Silver", async () => {
    const truncated = `${[HEADER, ...LINES.slice(0, 5)].join("\n")}\n${(LINES[5] ?? "").slice(0, 40)}`;
    const unterminatedQuote = `${truncated},"Bretford “Just In Time`;
    const partition = await h.land("truncated.csv", utf8(unterminatedQuote), day(3));
    const result = await h.run("bronze/sales_csv,silver/sales", partition);
    expect(result.status).toBe("failure");
    expect(await stepError(h, result.runId)).toMatch(/STRATA_ERR_SILVER_TRUNCATED/);
    expect(await h.workspace.storage.latestMaterialization("silver/sales", partition)).toBeUndefined();
  });

  test("a Latin-1 file is converted, never mangled", async () => {
    const lines = [HEADER, ...LINES.filter((line) => line.includes("Juárez")).slice(0, 3)];
    const latin1 = new Uint8Array(Buffer.from(`${lines.join("\n")}\n`, "latin1"));
    expect(Buffer.from(latin1).includes(Buffer.from("Juárez", "utf8"))).toBe(false);
    const partition = await h.land("latin1.csv", latin1, day(4));
    const result = await h.run("bronze/sales_csv,silver/sales", partition);
    expect(result.status).toBe("success");
    const silver = await h.tables.table("silver/sales").read();
    const cities = silver
      .filter(silver.getColumn("source_object").str.contains("latin1"))
      .getColumn("city")
      .toArray();
    expect(cities).toEqual(["Juárez", "Juárez", "Juárez"]);
  });

  test("broken quoting and wrong field counts are quarantined per row; the rest of the file is kept", async () => {
    const good = LINES.slice(100, 110);
    const brokenQuote = (good[0] ?? "").replace(
      /,Standard Class,|,Second Class,|,First Class,|,Same Day,/,
      ',Stand"ard Class,',
    );
    const tooFew = (good[1] ?? "").split(",").slice(0, 20).join(",");
    const text = [HEADER, brokenQuote, tooFew, ...good.slice(2)].join("\n");
    const partition = await h.land("broken_quoting.csv", utf8(`${text}\n`), day(5));
    const result = await h.run("bronze/sales_csv,silver/sales", partition);
    expect(result.status).toBe("success");
    const counts = await quarantineByReason(h, partition);
    expect(counts.malformed_row).toBe(2);
    const silver = await h.workspace.storage.latestMaterialization("silver/sales", partition);
    expect(silver?.metadata.rows_read).toEqual({ type: "int", value: 10 });
  });

  test("an unreadable file is refused at Bronze once; the day's readable files still reach Silver", async () => {
    const good = `${[HEADER, ...LINES.slice(200, 206)].join("\n")}\n`;
    const noHeader = `${LINES.slice(300, 303).join("\n")}\n`;
    const partition = await h.land("good.csv", utf8(good), day(6));
    await h.land("no_header.csv", utf8(noHeader), day(6));
    const first = await h.run("bronze/sales_csv,silver/sales", partition);
    expect(first.status).toBe("failure");
    expect(await stepError(h, first.runId)).toMatch(/STRATA_ERR_SILVER_MISSING_COLUMN.*no_header\.csv/);
    const refused: string[] = [];
    for await (const info of h.lake.list("bronze/_refused/sales_csv/")) {
      refused.push(new TextDecoder().decode(await h.lake.get(info.key)));
    }
    // Earlier tests of this file refused their own files too.
    expect(refused.filter((record) => record.includes("landing/sales/no_header.csv"))).toHaveLength(1);

    // The next run of the day skips the known-bad content and applies the readable file.
    const second = await h.run("bronze/sales_csv,silver/sales", partition);
    expect(second.status).toBe("success");
    const bronze = await h.workspace.storage.latestMaterialization("bronze/sales_csv", partition);
    expect(bronze?.metadata.objects_refused_before).toEqual({ type: "int", value: 1 });
    expect(bronze?.metadata.objects_in_partition).toEqual({ type: "int", value: 1 });
    const silver = await h.workspace.storage.latestMaterialization("silver/sales", partition);
    expect(silver?.metadata.rows_read).toEqual({ type: "int", value: 6 });
  });
});
