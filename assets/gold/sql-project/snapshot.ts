/**
 * Snapshot materialisation: a type-2 slowly changing dimension with the "check" strategy.
 *
 * The model's SELECT returns one row per id (config unique_key) with its current attributes, the date
 * the id first appeared (config first_seen) and, optionally, the date its current tracked values took
 * effect (config changed_at). The snapshot table adds version_key, valid_from, valid_to, is_current.
 *   - an unseen id opens its first version on first_seen (not on the run date, so facts older than the
 *     first run still find it);
 *   - a change in any check_cols column closes the current version on the day before changed_at and
 *     opens a new one from changed_at (never earlier than the day after the closed version started, so
 *     versions never overlap or shrink to nothing);
 *   - an earlier first_seen (late-arriving data) moves the first version's start back;
 *   - other columns are updated in place on the current version (type-1 attributes);
 *   - open versions end on 9999-12-31. Re-running on unchanged input changes nothing.
 */
import { quote, StrataError } from "../../../engine/errors.ts";
import { qualified, type Relation, type Warehouse } from "../../../resources/warehouse/warehouse.ts";
import { macroTable } from "./dialect-macros.ts";
import type { SqlModel } from "./types.ts";

export const SCD_COLUMNS = ["version_key", "valid_from", "valid_to", "is_current"] as const;

export interface SnapshotRunResult {
  readonly mode: "full" | "incremental";
  readonly versionsOpened: number;
  readonly versionsClosed: number;
}

export async function runSnapshot(warehouse: Warehouse, model: SqlModel): Promise<SnapshotRunResult> {
  const { relation, config } = model;
  const { uniqueKey: keys, checkCols, firstSeen, changedAt } = config;
  if (firstSeen === undefined) {
    throw new StrataError(
      "STRATA_ERR_SQL_PROJECT",
      `Snapshot ${quote(model.name)} needs config(first_seen='<date column>').`,
    );
  }
  const dialect = warehouse.dialect;
  const hash = (validFrom: string): string =>
    macroTable.hash_key(dialect, [[...keys.map((k) => `s.${k}`), validFrom]], model.path);
  const openEnd = "DATE '9999-12-31'";
  const dayBefore = (date: string): string => macroTable.date_add(dialect, ["day", "-1", date], model.path);
  const dayAfter = (date: string): string => macroTable.date_add(dialect, ["day", "1", date], model.path);
  const selectSql = model.compile({ dialect, isIncremental: false });
  const staged: Relation = { schema: relation.schema, name: `${relation.name}__incoming` };
  const changes: Relation = { schema: relation.schema, name: `${relation.name}__changes` };

  // Created before the transaction: concurrent transactions creating one schema conflict in DuckDB.
  await warehouse.ensureSchema(relation.schema);
  return warehouse.transaction(async (tx) => {
    await tx.createOrReplace("table", staged, selectSql);
    const columns = (await tx.columns(staged)).map((c) => c.name);
    for (const required of [
      ...keys,
      ...checkCols,
      firstSeen,
      ...(changedAt === undefined ? [] : [changedAt]),
    ]) {
      if (!columns.includes(required)) {
        throw new StrataError(
          "STRATA_ERR_SQL_PROJECT",
          `Snapshot ${quote(model.name)} config names column ${quote(required)}, which its SELECT does not return.`,
        );
      }
    }
    await assertUniqueIds(tx, model, staged);
    const list = columns.join(", ");
    const fromStaged = columns.map((c) => `s.${c}`).join(", ");
    const scdList = `version_key, ${list}, valid_from, valid_to, is_current`;
    const firstFrom = `CAST(s.${firstSeen} AS DATE)`;

    if (!(await tx.exists(relation))) {
      const created = await tx.createOrReplace(
        "table",
        relation,
        `SELECT ${hash(firstFrom)} AS version_key, ${fromStaged}, ${firstFrom} AS valid_from, ${openEnd} AS valid_to, TRUE AS is_current FROM ${qualified(staged)} AS s`,
      );
      await tx.drop(staged);
      const opened =
        created.rows ??
        Number((await tx.query(`SELECT COUNT(*) AS n FROM ${qualified(relation)}`))[0]?.n ?? 0);
      return { mode: "full", versionsOpened: opened, versionsClosed: 0 };
    }

    const target = qualified(relation);
    const matchKeys = (left: string, right: string): string =>
      keys.map((k) => `${left}.${k} = ${right}.${k}`).join(" AND ");
    const changed = checkCols.map((c) => `t.${c} IS DISTINCT FROM s.${c}`).join(" OR ");
    // Snowflake's GREATEST is NULL when any argument is: a missing change date means "today".
    const effective =
      changedAt === undefined ? "CURRENT_DATE" : `COALESCE(CAST(s.${changedAt} AS DATE), CURRENT_DATE)`;
    await tx.createOrReplace(
      "table",
      changes,
      `SELECT ${fromStaged}, GREATEST(${effective}, ${dayAfter("t.valid_from")}) AS new_valid_from
       FROM ${qualified(staged)} AS s JOIN ${target} AS t ON ${matchKeys("t", "s")} AND t.is_current
       WHERE ${changed}`,
    );
    // Late-arriving lines can move an id's first appearance earlier: its first version then starts
    // earlier too (keeping its version_key, which facts already reference), so older facts still resolve.
    await tx.execute(
      `UPDATE ${target} AS t SET valid_from = ${firstFrom}
       FROM ${qualified(staged)} AS s
       WHERE ${matchKeys("t", "s")} AND ${firstFrom} < t.valid_from
         AND NOT EXISTS (SELECT 1 FROM ${target} AS e WHERE ${matchKeys("e", "t")} AND e.valid_from < t.valid_from)`,
    );
    const closed = await tx.execute(
      `UPDATE ${target} AS t SET valid_to = ${dayBefore("c.new_valid_from")}, is_current = FALSE
       FROM ${qualified(changes)} AS c WHERE ${matchKeys("t", "c")} AND t.is_current`,
    );
    const reopened = await tx.execute(
      `INSERT INTO ${target} (${scdList})
       SELECT ${hash("s.new_valid_from")}, ${fromStaged}, s.new_valid_from, ${openEnd}, TRUE FROM ${qualified(changes)} AS s`,
    );
    const added = await tx.execute(
      `INSERT INTO ${target} (${scdList})
       SELECT ${hash(firstFrom)}, ${fromStaged}, ${firstFrom}, ${openEnd}, TRUE FROM ${qualified(staged)} AS s
       WHERE NOT EXISTS (SELECT 1 FROM ${target} AS t WHERE ${matchKeys("t", "s")})`,
    );
    const typeOne = columns.filter((c) => !keys.includes(c) && !checkCols.includes(c));
    if (typeOne.length > 0) {
      await tx.execute(
        `UPDATE ${target} AS t SET ${typeOne.map((c) => `${c} = s.${c}`).join(", ")}
         FROM ${qualified(staged)} AS s WHERE ${matchKeys("t", "s")} AND t.is_current
         AND (${typeOne.map((c) => `t.${c} IS DISTINCT FROM s.${c}`).join(" OR ")})`,
      );
    }
    await tx.drop(changes);
    await tx.drop(staged);
    return {
      mode: "incremental",
      versionsOpened: reopened.rowsChanged + added.rowsChanged,
      versionsClosed: closed.rowsChanged,
    };
  });
}

async function assertUniqueIds(warehouse: Warehouse, model: SqlModel, staged: Relation): Promise<void> {
  const keys = model.config.uniqueKey.join(", ");
  const dupes = await warehouse.query(
    `SELECT ${keys}, COUNT(*) AS n FROM ${qualified(staged)} GROUP BY ${keys} HAVING COUNT(*) > 1 LIMIT 3`,
  );
  if (dupes.length > 0) {
    throw new StrataError(
      "STRATA_ERR_SQL_PROJECT",
      `Snapshot ${quote(model.name)} returned several rows for one ${keys}, e.g. ${quote(dupes)}; its SELECT must return one row per id.`,
      { model: model.name },
    );
  }
}
