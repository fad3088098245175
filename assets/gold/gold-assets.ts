import {
  type AssetDefinition,
  type CheckDefinition,
  defineAsset,
  defineCheck,
  eager,
  onMissing,
} from "../../engine/index.ts";
import type { DeltaTables } from "../../resources/delta/delta-tables.ts";
import { activeFiles } from "../../resources/delta/read-table.ts";
import type { LakeFileCache } from "../../resources/object-store/lake-file-cache.ts";
import { DELTA_TABLES, LAKE_FILES, WAREHOUSE } from "../../resources/tokens.ts";
import type { Warehouse } from "../../resources/warehouse/warehouse.ts";
import {
  goldAssetKey,
  modelRunMetadata,
  sourceAssetKey,
  testRunMetadata,
  upstreamAssetKeys,
} from "./project.ts";
import {
  registerDeclaredSource,
  runModel,
  runTest,
  runTests,
  type TestRunResult,
} from "./sql-project/index.ts";
import type { DeclaredSource, SqlProject, SqlTest } from "./sql-project/types.ts";

/**
 * Points the warehouse's source relation at the active Parquet files of the Delta table's latest
 * snapshot, so a model reads exactly one committed version (never a half-written one). On an S3
 * lake the files are read from local copies (LakeFileCache): DuckDB reads local files only here.
 */
async function registerSource(
  warehouse: Warehouse,
  tables: DeltaTables,
  files: LakeFileCache,
  source: DeclaredSource,
): Promise<number> {
  const table = tables.table(sourceAssetKey(source));
  if (!(await table.exists())) {
    await registerDeclaredSource(warehouse, source, []);
    return -1;
  }
  const snapshot = await table.snapshot();
  const active = await Promise.all(
    activeFiles(tables.store, snapshot).map(async (file) => ({
      path: file.localPath ?? (await files.localPath(file.key)),
      partitionValues: file.partitionValues,
    })),
  );
  await registerDeclaredSource(warehouse, source, active);
  return snapshot.version;
}

/**
 * While Silver keeps running (steady landings, a Kafka stream), a model waits at most this long for
 * it before refreshing from the latest committed Silver version (a Delta snapshot is consistent, so
 * reading between Silver runs is safe).
 */
const GOLD_MAX_WAIT_SECONDS = 30;

/**
 * One asset per SQL model (`gold/<model>`). Eager: it refreshes when what it reads changed; a model
 * that reads nothing (dim_date) is built when missing.
 */
export function goldAssets(project: SqlProject): AssetDefinition[] {
  return project.models.map((model) =>
    defineAsset({
      key: goldAssetKey(model.name),
      deps: upstreamAssetKeys(model),
      group: `gold_${model.config.schema}`,
      automation:
        upstreamAssetKeys(model).length === 0
          ? onMissing()
          : eager({ maxWaitSeconds: GOLD_MAX_WAIT_SECONDS }),
      inject: [WAREHOUSE, DELTA_TABLES, LAKE_FILES],
      tags: {
        materialized: model.config.materialized,
        ...Object.fromEntries(model.config.tags.map((t) => [t, "true"])),
      },
      ...(model.config.description !== undefined && { description: model.config.description }),
      materialize: async (ctx, _inputs, resolve) => {
        const warehouse = resolve(WAREHOUSE);
        for (const name of model.sources) {
          const source = project.sources.find((s) => s.source === name.source && s.table === name.table);
          if (source) {
            const version = await registerSource(
              warehouse,
              resolve(DELTA_TABLES),
              resolve(LAKE_FILES),
              source,
            );
            ctx.addMetadata({ [`${name.source}_${name.table}_delta_version`]: version });
          }
        }
        const result = await runModel(warehouse, model);
        ctx.addMetadata(modelRunMetadata(result));
        return {
          relation: `${result.relation.schema}.${result.relation.name}`,
          rows: result.rows,
          mode: result.mode,
        };
      },
    }),
  );
}

/**
 * The model a test runs after: the most downstream of the models it reads (a completeness test of
 * fact_sales against stg_sales can only run once fact_sales exists).
 */
function checkedModel(project: SqlProject, test: SqlTest): string {
  const order = project.models.map((model) => model.name);
  return [test.model, ...test.models].reduce((latest, name) =>
    order.indexOf(name) > order.indexOf(latest) ? name : latest,
  );
}

/**
 * The data tests checked after one materialisation run as one batch (see runTests): the first of
 * its checks to be evaluated starts the batch, the others wait for their own result in it. Batches
 * are keyed by the value the materialisation returned, so every materialisation runs its tests anew.
 */
class TestBatches {
  private readonly batches = new WeakMap<object, Map<SqlTest, Promise<TestRunResult>>>();

  constructor(private readonly byModel: ReadonlyMap<string, readonly SqlTest[]>) {}

  result(warehouse: Warehouse, materialized: unknown, model: string, test: SqlTest): Promise<TestRunResult> {
    if (typeof materialized !== "object" || materialized === null) return runTest(warehouse, test);
    let batch = this.batches.get(materialized);
    if (batch === undefined) {
      const tests = this.byModel.get(model) ?? [];
      const results = runTests(warehouse, tests);
      // A check the engine never evaluates must not leave an unhandled rejection behind.
      for (const result of results) result.catch(() => undefined);
      batch = new Map(tests.map((t, i) => [t, results[i] ?? runTest(warehouse, t)]));
      this.batches.set(materialized, batch);
    }
    return batch.get(test) ?? runTest(warehouse, test);
  }
}

/** One asset check per data test; error-severity tests block everything downstream. */
export function goldChecks(project: SqlProject): CheckDefinition[] {
  const byModel = new Map<string, SqlTest[]>();
  for (const test of project.tests) {
    const model = checkedModel(project, test);
    byModel.set(model, [...(byModel.get(model) ?? []), test]);
  }
  const batches = new TestBatches(byModel);
  return project.tests.map((test) => {
    const model = checkedModel(project, test);
    return defineCheck(goldAssetKey(model), {
      name: test.name,
      severity: test.severity,
      blocking: test.severity === "error",
      inject: [WAREHOUSE],
      ...(test.description !== undefined && { description: test.description }),
      evaluate: async (_ctx, value, resolve) => {
        const result = await batches.result(resolve(WAREHOUSE), value, model, test);
        return {
          passed: result.passed,
          description: result.passed ? "passed" : `${result.failingRows} failing row(s)`,
          metadata: testRunMetadata(result),
        };
      },
    });
  });
}
