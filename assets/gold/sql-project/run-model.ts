/**
 * Builds one model in the warehouse according to its materialisation: view, table, incremental (merge
 * on unique_key, or append) or snapshot (SCD2, see snapshot.ts). Multi-statement builds run in one
 * transaction so a failure leaves the previous version of the relation in place.
 */
import { quote, StrataError } from "../../../engine/errors.ts";
import {
  type CreatedRelation,
  qualified,
  type Relation,
  type Warehouse,
} from "../../../resources/warehouse/warehouse.ts";
import { runSnapshot } from "./snapshot.ts";
import type { Materialization, SqlModel } from "./types.ts";

export interface RunModelContext {
  /** Rebuild incremental models from scratch. Snapshots ignore it: their history cannot be rebuilt. */
  readonly fullRefresh?: boolean;
}

export interface ModelRunResult {
  readonly model: string;
  readonly relation: Relation;
  readonly materialized: Materialization;
  /** "full" when the relation was (re)built from scratch, "incremental" when rows were merged in. */
  readonly mode: "full" | "incremental";
  /** Rows in the relation after the run. */
  readonly rows: number;
  /** Rows inserted or updated by an incremental run (equals rows on a full build). */
  readonly rowsAffected: number;
  /** Snapshot only: versions opened (new ids + changes) and closed in this run. */
  readonly versionsOpened?: number;
  readonly versionsClosed?: number;
  readonly durationMs: number;
}

export async function runModel(
  warehouse: Warehouse,
  model: SqlModel,
  ctx: RunModelContext = {},
): Promise<ModelRunResult> {
  const started = performance.now();
  const { relation, config } = model;
  const base = { model: model.name, relation, materialized: config.materialized };
  const finish = async (
    mode: ModelRunResult["mode"],
    rowsAffected: number | undefined,
    extra: Partial<ModelRunResult> = {},
    created: CreatedRelation = {},
  ): Promise<ModelRunResult> => {
    // A table built in full reports its rows when the warehouse does; anything else is counted.
    const rows = created.rows ?? (await countRows(warehouse, relation));
    return {
      ...base,
      mode,
      rows,
      rowsAffected: rowsAffected ?? rows,
      ...extra,
      durationMs: performance.now() - started,
    };
  };
  const dialect = warehouse.dialect;

  switch (config.materialized) {
    case "view":
    case "table": {
      const created = await warehouse.createOrReplace(
        config.materialized,
        relation,
        model.compile({ dialect, isIncremental: false }),
      );
      return finish("full", undefined, {}, created);
    }
    case "snapshot": {
      const result = await runSnapshot(warehouse, model);
      return finish(result.mode, result.versionsOpened, result);
    }
    case "incremental": {
      const incremental = ctx.fullRefresh !== true && (await warehouse.exists(relation));
      if (!incremental) {
        const created = await warehouse.createOrReplace(
          "table",
          relation,
          model.compile({ dialect, isIncremental: false }),
        );
        return finish("full", undefined, {}, created);
      }
      const affected = await mergeIncrement(
        warehouse,
        model,
        model.compile({ dialect, isIncremental: true }),
      );
      return finish("incremental", affected);
    }
  }
}

async function mergeIncrement(warehouse: Warehouse, model: SqlModel, selectSql: string): Promise<number> {
  const target = model.relation;
  const staged: Relation = { schema: target.schema, name: `${target.name}__incoming` };
  // Created before the transaction: concurrent transactions creating one schema conflict in DuckDB.
  await warehouse.ensureSchema(target.schema);
  return warehouse.transaction(async (tx) => {
    await tx.createOrReplace("table", staged, selectSql);
    const columns = (await tx.columns(staged)).map((c) => c.name);
    const existing = new Set((await tx.columns(target)).map((c) => c.name));
    const added = columns.filter((c) => !existing.has(c));
    if (added.length > 0) {
      throw new StrataError(
        "STRATA_ERR_WAREHOUSE",
        `Model ${quote(model.name)} now returns columns ${added.join(", ")} that ${qualified(target)} lacks; run it with fullRefresh to rebuild the table.`,
        { model: model.name, added },
      );
    }
    const list = columns.join(", ");
    let sql: string;
    if (model.config.incrementalStrategy === "append") {
      sql = `INSERT INTO ${qualified(target)} (${list}) SELECT ${list} FROM ${qualified(staged)}`;
    } else {
      const keys = model.config.uniqueKey;
      const on = keys.map((k) => `t.${k} = s.${k}`).join(" AND ");
      const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${c} = s.${c}`);
      sql = [
        `MERGE INTO ${qualified(target)} AS t USING ${qualified(staged)} AS s ON ${on}`,
        updates.length > 0 ? `WHEN MATCHED THEN UPDATE SET ${updates.join(", ")}` : "",
        `WHEN NOT MATCHED THEN INSERT (${list}) VALUES (${columns.map((c) => `s.${c}`).join(", ")})`,
      ].join("\n");
    }
    const { rowsChanged } = await tx.execute(sql);
    await tx.drop(staged);
    return rowsChanged;
  });
}

export async function countRows(warehouse: Warehouse, relation: Relation): Promise<number> {
  const [row] = await warehouse.query(`SELECT COUNT(*) AS n FROM ${qualified(relation)}`);
  const n = row?.n;
  return typeof n === "number" ? n : Number(n);
}
