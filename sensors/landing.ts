import { LANDING_PREFIX } from "../assets/bronze/sales-csv.ts";
import { dayOf } from "../assets/shared/partitions.ts";
import { defineSensor, type RunRequest, type SensorDefinition } from "../engine/index.ts";
import { LAKE } from "../resources/tokens.ts";

/**
 * Landing-zone sensor: each new (or changed) object under landing/sales/ requests a Bronze run for
 * the day it landed. The run key is key@etag, so an object is requested once, and a changed file
 * under the same name (new etag) is requested again. Silver and Gold follow by eager automation.
 */
export function landingSensor(intervalSeconds: number): SensorDefinition {
  return defineSensor({
    name: "landing_sales",
    target: "bronze/sales_csv",
    intervalSeconds,
    description: "New files in landing/sales/ → Bronze ingestion for their landing day",
    inject: [LAKE],
    evaluate: async (ctx, resolve) => {
      const lake = resolve(LAKE);
      const requests: RunRequest[] = [];
      let newest = ctx.cursor ?? "";
      for await (const object of lake.list(LANDING_PREFIX)) {
        requests.push({
          runKey: `${object.key}@${object.etag}`,
          partition: dayOf(object.lastModified),
          tags: { "strata/landing-key": object.key },
        });
        const stamp = new Date(object.lastModified).toISOString();
        if (stamp > newest) newest = stamp;
      }
      return {
        runRequests: requests,
        cursor: newest,
        ...(requests.length === 0 && { skipReason: "landing zone is empty" }),
      };
    },
  });
}
