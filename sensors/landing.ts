import { LANDING_KEY_TAG, LANDING_PREFIX } from "../assets/bronze/sales-csv.ts";
import { dayOf } from "../assets/shared/partitions.ts";
import { defineSensor, type RunRequest, type SensorDefinition } from "../engine/index.ts";
import { LAKE } from "../resources/tokens.ts";
import { DEFAULT_SCAN, parseCursor, type ScanOptions, scanLanding, serialiseCursor } from "./landing-scan.ts";

/** With LANDING_KEY_TAG, names the object version a Bronze run was requested for. */
export const LANDING_ETAG_TAG = "strata/landing-etag";

/**
 * Landing-zone sensor: each new (or changed) object under landing/sales/ requests a Bronze run for
 * the day it landed. The run key is key@etag, so an object is requested once (the engine drops a
 * run key it has seen, across restarts), and a changed file under the same name (new ETag) is
 * requested again. The listing is an incremental sweep with a cursor (landing-scan.ts explains
 * why a start-after cursor alone would miss objects). On a local lake the re-scan window is
 * unbounded: file mtimes are set by copy tools (`cp -p`) and say nothing about arrival, so every
 * pass re-checks every file by run key, as a directory walk costs the same either way.
 */
export function landingSensor(intervalSeconds: number, scan: Partial<ScanOptions> = {}): SensorDefinition {
  return defineSensor({
    name: "landing_sales",
    target: "bronze/sales_csv",
    intervalSeconds,
    description: "New files in landing/sales/ → Bronze ingestion for their landing day",
    inject: [LAKE],
    evaluate: async (ctx, resolve) => {
      const lake = resolve(LAKE);
      const local = lake.localPath(LANDING_PREFIX) !== undefined;
      const options: ScanOptions = {
        ...DEFAULT_SCAN,
        ...scan,
        ...(local && { rescanWindowMs: Number.POSITIVE_INFINITY }),
      };
      const { candidates, cursor, listed } = await scanLanding(
        lake,
        LANDING_PREFIX,
        parseCursor(ctx.cursor),
        options,
      );
      const runRequests: RunRequest[] = candidates.map((object) => ({
        runKey: `${object.key}@${object.etag}`,
        partition: dayOf(object.lastModified),
        tags: { [LANDING_KEY_TAG]: object.key, [LANDING_ETAG_TAG]: object.etag },
      }));
      return {
        runRequests,
        cursor: serialiseCursor(cursor),
        ...(runRequests.length === 0 && {
          skipReason: listed === 0 ? "landing zone is empty" : `no new object among ${listed} listed`,
        }),
      };
    },
  });
}
