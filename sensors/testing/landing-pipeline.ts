/**
 * The landing path of the real pipeline (landing sensor → Bronze → Silver, with the pipeline's own
 * assets, sensor and config-built resources) without Gold, for the S3 streaming test and benchmark:
 * Gold's 13 models and 224 checks after every Silver commit would measure DuckDB, not ingestion.
 */

import { BronzeSalesCsv } from "../../assets/bronze/sales-csv.ts";
import { generateSalesCsv } from "../../assets/data-gen/index.ts";
import { SilverSales } from "../../assets/silver/sales.ts";
import type { DefinitionsModule } from "../../engine/cli/workspace.ts";
import { defineDefinitions } from "../../engine/index.ts";
import { loadConfig } from "../../resources/config/config.ts";
import { openResources } from "../../resources/container.ts";
import { landingSensor } from "../landing.ts";

export const landingPipeline: DefinitionsModule = {
  definitions: async ({ stateDir }) => {
    const config = loadConfig(process.env, process.cwd(), { stateDir });
    const resources = await openResources(config);
    return defineDefinitions({
      assets: [BronzeSalesCsv, SilverSales],
      sensors: [landingSensor(config.landingSensorIntervalSeconds)],
      resources: resources.bindings,
      teardown: resources.close,
    });
  },
};

/** `count` small, distinct CSV files of `rowsEach` clean rows (one generated file, cut up). */
export function smallCsvFiles(count: number, rowsEach: number, seed = 7): Uint8Array[] {
  const generated = generateSalesCsv({ rows: count * rowsEach, seed });
  const text = generated.csv?.toString("utf8") ?? "";
  const [header = "", ...lines] = text.split("\n").filter((line) => line !== "");
  return Array.from({ length: count }, (_, i) =>
    new TextEncoder().encode(`${header}\n${lines.slice(i * rowsEach, (i + 1) * rowsEach).join("\n")}\n`),
  );
}
