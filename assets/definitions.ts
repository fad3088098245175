/**
 * The sales pipeline's definitions: the one explicit list the `strata` CLI and the server load.
 * Resources come from configuration (environment / strata.config.json) and are bound in
 * resources/container.ts.
 */
import { type Definitions, type DefinitionsContext, defineDefinitions } from "../engine/index.ts";
import { loadConfig } from "../resources/config/config.ts";
import { openResources } from "../resources/container.ts";
import { kafkaConfigured } from "../resources/kafka/kafka.ts";
import { dailyBatch } from "../schedules/daily-batch.ts";
import { landingSensor } from "../sensors/landing.ts";
import { BronzeSalesCsv } from "./bronze/sales-csv.ts";
import { goldAssets, goldChecks } from "./gold/gold-assets.ts";
import { loadGoldProject } from "./gold/project.ts";
import { SilverSales } from "./silver/sales.ts";
import { goldRefresh, kafkaSensor, SalesEventsStream } from "./streaming/assets.ts";

export { pipelineCommands as commands } from "./commands/index.ts";

export async function definitions(context: Partial<DefinitionsContext> = {}): Promise<Definitions> {
  const config = loadConfig(
    process.env,
    process.cwd(),
    context.stateDir === undefined ? {} : { stateDir: context.stateDir },
  );
  const project = await loadGoldProject();
  const resources = await openResources(config);
  return defineDefinitions({
    assets: [BronzeSalesCsv, SilverSales, SalesEventsStream, ...goldAssets(project)],
    checks: goldChecks(project),
    sensors: [landingSensor(config.landingSensorIntervalSeconds), kafkaSensor(config)],
    // Gold's own cadence matters only when streaming rows arrive; batch Silver triggers Gold eagerly.
    schedules: kafkaConfigured(config.kafka) ? [dailyBatch, goldRefresh] : [dailyBatch],
    resources: resources.bindings,
    teardown: resources.close,
  });
}
