/**
 * Test support, not product code: turns the real Global Superstore sample CSV into Parquet files
 * shaped like the Silver table (what `source('silver', 'sales')` reads), using DuckDB itself. The
 * parsing here is the minimum a fixture needs (dd/mm/yyyy dates, UPPER categories, snake_case
 * columns); the Silver transform proper lives in assets/silver.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Warehouse } from "../../../resources/warehouse/warehouse.ts";
import { sqlString } from "../../../resources/warehouse/warehouse.ts";

const CANDIDATES = [
  process.env.STRATA_SAMPLE_CSV,
  fileURLToPath(new URL("../../../data/sample/global_superstore_sample.csv", import.meta.url)),
  fileURLToPath(new URL("../../../../shared/data/global_superstore_sample.csv", import.meta.url)),
];

export function sampleCsvPath(): string {
  const found = CANDIDATES.find((path) => path !== undefined && existsSync(path));
  if (found === undefined)
    throw new Error(`The sample CSV is in none of ${CANDIDATES.join(", ")}; set STRATA_SAMPLE_CSV.`);
  return found;
}

/** Creates `fixture.silver_base`: every sample row in the Silver schema. */
export async function loadSilverBase(warehouse: Warehouse, csvPath: string = sampleCsvPath()): Promise<void> {
  await warehouse.ensureSchema("fixture");
  await warehouse.createOrReplace(
    "table",
    { schema: "fixture", name: "silver_base" },
    `SELECT
       TRIM("Order ID") AS order_id,
       CAST(strptime("Order Date", '%d/%m/%Y') AS DATE) AS order_date,
       CAST(strptime("Ship Date", '%d/%m/%Y') AS DATE) AS ship_date,
       "Ship Mode" AS ship_mode,
       TRIM("Customer ID") AS customer_id,
       "Customer Name" AS customer_name,
       "Segment" AS segment,
       "City" AS city,
       "State" AS state,
       "Country" AS country,
       NULLIF("Postal Code", '') AS postal_code,
       "Market" AS market,
       "Region" AS region,
       TRIM("Product ID") AS product_id,
       UPPER(TRIM("Category")) AS category,
       UPPER(TRIM("Sub-Category")) AS sub_category,
       "Product Name" AS product_name,
       CAST("Sales" AS DOUBLE) AS sales,
       CAST("Quantity" AS INTEGER) AS quantity,
       CAST("Discount" AS DOUBLE) AS discount,
       CAST("Profit" AS DOUBLE) AS profit,
       CAST("Shipping Cost" AS DOUBLE) AS shipping_cost,
       "Order Priority" AS order_priority,
       "Row ID" AS source_row_id,
       CAST("Sales" AS DOUBLE) > 10000 AS is_sales_outlier,
       'VALID' AS geo_quality_flag,
       CAST("Sales" AS DOUBLE) / CAST("Quantity" AS INTEGER) AS unit_price,
       CAST("Profit" AS DOUBLE) / CAST("Sales" AS DOUBLE) AS profit_margin,
       'BATCH' AS source_system,
       'bronze/sales_csv/global_superstore_sample.csv' AS source_object,
       CAST("Row ID" AS BIGINT) AS source_row_number,
       TIMESTAMP '2026-01-01 00:00:00' AS source_ingested_at,
       TIMESTAMP '2026-01-01 00:00:00' AS processed_at,
       'fixture' AS run_id,
       md5('sample:' || "Row ID") AS row_id
     FROM read_csv(${sqlString(csvPath)}, all_varchar = true, header = true)`,
  );
}

export interface SilverSliceOptions {
  readonly parquetPath: string;
  /** A SQL filter over fixture.silver_base columns. */
  readonly where?: string;
  /** Column → SQL expression replacing it (e.g. a relocated city). */
  readonly overrides?: Readonly<Record<string, string>>;
  /** The Silver processing time of this slice; later slices must be later. */
  readonly processedAt: string;
}

/** Writes a slice of fixture.silver_base as one Parquet file; returns its row count. */
export async function writeSilverSlice(warehouse: Warehouse, options: SilverSliceOptions): Promise<number> {
  const overrides: Readonly<Record<string, string>> = {
    ...options.overrides,
    processed_at: `TIMESTAMP ${sqlString(options.processedAt)}`,
  };
  const columns = (await warehouse.columns({ schema: "fixture", name: "silver_base" })).map((c) => c.name);
  const select = columns.map((c) => `${overrides[c] ?? c} AS ${c}`).join(", ");
  const where = options.where === undefined ? "" : `WHERE ${options.where}`;
  await warehouse.execute(
    `COPY (SELECT ${select} FROM fixture.silver_base ${where}) TO ${sqlString(options.parquetPath)} (FORMAT parquet)`,
  );
  const [row] = await warehouse.query(
    `SELECT COUNT(*) AS n FROM read_parquet(${sqlString(options.parquetPath)})`,
  );
  return Number(row?.n ?? 0);
}
