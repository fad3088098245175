import pl from "nodejs-polars";
import {
  type CheckResultRecord,
  type CliCommand,
  type CliIO,
  layerOf,
  type Workspace,
} from "../../engine/index.ts";
import { describeLake } from "../../resources/object-store/open-lake.ts";
import { CONFIG, DELTA_TABLES, LAKE, WAREHOUSE } from "../../resources/tokens.ts";
import type { Warehouse } from "../../resources/warehouse/warehouse.ts";
import { REFUSED_ROOT } from "../bronze/manifest.ts";
import { SILVER_QUARANTINE_TABLE, SILVER_SALES_TABLE } from "../silver/sales.ts";

export interface PipelineSummary {
  /** `refused`: landing objects Bronze could not read as sales CSV (dead-letter records). */
  readonly bronze: { readonly objects: number; readonly rows: number; readonly refused: number };
  readonly silverRows: number;
  readonly quarantineByReason: Readonly<Record<string, number>>;
  readonly checks: {
    readonly passed: number;
    readonly failedError: number;
    readonly failedWarn: number;
    readonly failing: readonly string[];
  };
  readonly gold: Readonly<Record<string, number>>;
  readonly factsWithoutDateKey: number | undefined;
  readonly factsWithoutOtherKeys: number | undefined;
}

async function count(warehouse: Warehouse, sql: string): Promise<number | undefined> {
  try {
    const [row] = await warehouse.query(sql);
    const value = row === undefined ? undefined : Object.values(row)[0];
    return typeof value === "number" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Latest result of every check of every asset. */
async function latestChecks(workspace: Workspace): Promise<CheckResultRecord[]> {
  const latest: CheckResultRecord[] = [];
  for (const key of workspace.definitions.graph.order) {
    const seen = new Set<string>();
    for (const result of await workspace.storage.checkResults(key, { limit: 1000 })) {
      if (seen.has(result.checkName)) continue;
      seen.add(result.checkName);
      latest.push(result);
    }
  }
  return latest;
}

export async function collectSummary(workspace: Workspace): Promise<PipelineSummary> {
  const resolve = workspace.definitions.scope.resolve;
  const lake = resolve(LAKE);
  const tables = resolve(DELTA_TABLES);
  const warehouse = resolve(WAREHOUSE);
  let objects = 0;
  let rows = 0;
  for await (const info of lake.list("bronze/_manifests/sales_csv/by-sha256/")) {
    const record: unknown = JSON.parse(new TextDecoder().decode(await lake.get(info.key)));
    objects++;
    if (
      typeof record === "object" &&
      record !== null &&
      "rowCount" in record &&
      typeof record.rowCount === "number"
    )
      rows += record.rowCount;
  }
  let refused = 0;
  for await (const _ of lake.list(`${REFUSED_ROOT}/`)) refused++;
  const silver = tables.table(SILVER_SALES_TABLE);
  const silverRows = (await silver.exists()) ? (await silver.read()).height : 0;
  const quarantine = tables.table(SILVER_QUARANTINE_TABLE);
  const quarantineByReason: Record<string, number> = {};
  if (await quarantine.exists()) {
    const grouped = (await quarantine.read())
      .groupBy("rejection_reason")
      .agg(pl.len().alias("n"))
      .sort("rejection_reason");
    for (const row of grouped.toRecords()) {
      if (typeof row.rejection_reason === "string" && typeof row.n === "number")
        quarantineByReason[row.rejection_reason] = row.n;
    }
  }
  const checks = await latestChecks(workspace);
  const failing = checks.filter((c) => !c.passed);
  const gold: Record<string, number> = {};
  for (const key of workspace.definitions.graph.order.filter((k) => layerOf(k) === "gold")) {
    const materialization = await workspace.storage.latestMaterialization(key);
    const relation = materialization?.metadata.relation;
    if (relation?.type === "text")
      gold[key] = (await count(warehouse, `select count(*) from ${relation.value}`)) ?? -1;
  }
  return {
    bronze: { objects, rows, refused },
    silverRows,
    quarantineByReason,
    checks: {
      passed: checks.length - failing.length,
      failedError: failing.filter((c) => c.severity === "error").length,
      failedWarn: failing.filter((c) => c.severity === "warn").length,
      failing: failing.map((c) => `${c.assetKey}:${c.checkName} (${c.severity})`),
    },
    gold,
    factsWithoutDateKey: await count(
      warehouse,
      "select count(*) from marts.fact_sales where order_date_key is null",
    ),
    factsWithoutOtherKeys: await count(
      warehouse,
      "select count(*) from marts.fact_sales where customer_key is null or product_key is null or store_key is null",
    ),
  };
}

export async function printSummary(workspace: Workspace, io: CliIO): Promise<PipelineSummary> {
  const summary = await collectSummary(workspace);
  const config = workspace.definitions.scope.resolve(CONFIG);
  const quarantined = Object.values(summary.quarantineByReason).reduce((a, b) => a + b, 0);
  io.out("");
  io.out("=== Strata pipeline summary ===");
  io.out(`Bronze   ${summary.bronze.objects} object(s), ${summary.bronze.rows} rows`);
  if (summary.bronze.refused > 0)
    io.out(
      `  refused ${summary.bronze.refused} unreadable landing object(s): see ${REFUSED_ROOT}/ in the lake`,
    );
  io.out(`Silver   ${summary.silverRows} rows in silver/sales`);
  io.out(`Quarantine ${quarantined} rows${quarantined > 0 ? ":" : ""}`);
  for (const [reason, n] of Object.entries(summary.quarantineByReason)) io.out(`  ${reason.padEnd(24)} ${n}`);
  io.out(
    `Reconciliation: Bronze ${summary.bronze.rows} = Silver ${summary.silverRows} + quarantine ${quarantined} → ${summary.bronze.rows === summary.silverRows + quarantined ? "OK" : "MISMATCH (rows updated in place by newer sources are counted once)"}`,
  );
  io.out("Gold");
  for (const [key, rows] of Object.entries(summary.gold)) io.out(`  ${key.padEnd(32)} ${rows} rows`);
  io.out(
    `  facts without a date key: ${summary.factsWithoutDateKey ?? "n/a"}; without another dimension key: ${summary.factsWithoutOtherKeys ?? "n/a"}`,
  );
  io.out(
    `Checks   ${summary.checks.passed} passed, ${summary.checks.failedError} failed (error), ${summary.checks.failedWarn} failed (warn)`,
  );
  for (const name of summary.checks.failing) io.out(`  failing: ${name}`);
  io.out("Where things are");
  io.out(`  lake (landing, bronze, silver Delta tables): ${describeLake(config.lake)}`);
  io.out(`  warehouse (DuckDB): ${config.warehouse.path}`);
  io.out(`  run storage: ${workspace.stateDir}/runs.sqlite`);
  io.out("Next");
  io.out(`  query the warehouse:  npm run strata -- sql "select * from marts.fact_sales_daily limit 5"`);
  io.out("  see runs and logs:    npm run strata -- runs; npm run strata -- logs <run-id>");
  io.out("  the asset UI:         npm run strata -- dev   (then open the printed http://127.0.0.1 address)");
  return summary;
}

export const summaryCommand: CliCommand = {
  summary: "Rows per layer, quarantine by reason, check results, and where the files are",
  usage: "strata summary",
  async run(_args, io, open) {
    const summary = await printSummary(await open(), io);
    return summary.checks.failedError > 0 ? 1 : 0;
  },
};

export const sqlCommand: CliCommand = {
  summary: "Run a SQL query on the warehouse and print the rows",
  usage: 'strata sql "<query>"',
  async run(args, io, open) {
    const query = args.join(" ");
    const workspace = await open();
    const rows = await workspace.definitions.scope.resolve(WAREHOUSE).query(query);
    for (const row of rows) io.out(JSON.stringify(row));
    io.out(`(${rows.length} rows)`);
    return 0;
  },
};
