/** The JSON line `silver_pyspark.py` prints, checked field by field (it comes from another process). */
export interface SparkRun {
  readonly spark: string;
  readonly jvmStartupS: number;
  readonly jobS: number;
  readonly rowsRead: number;
  readonly silverRows: number;
  readonly sumSales: number;
  readonly byReason: Record<string, number>;
  readonly rowNumberSums: Record<string, number>;
}

function field(o: object, name: string): unknown {
  return Object.entries(o).find(([k]) => k === name)?.[1];
}

function num(o: object, name: string): number {
  const v = field(o, name);
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new Error(`PySpark output: ${name} is not a number`);
  return v;
}

function counts(o: object, name: string): Record<string, number> {
  const v = field(o, name);
  if (typeof v !== "object" || v === null) throw new Error(`PySpark output: ${name} is not an object`);
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) {
    if (typeof n !== "number") throw new Error(`PySpark output: ${name}.${k} is not a number`);
    out[k] = n;
  }
  return out;
}

export function parseSparkRun(json: unknown): SparkRun {
  if (typeof json !== "object" || json === null) throw new Error("PySpark output is not a JSON object");
  return {
    spark: String(field(json, "spark") ?? "?"),
    jvmStartupS: num(json, "jvm_startup_s"),
    jobS: num(json, "job_s"),
    rowsRead: num(json, "rows_read"),
    silverRows: num(json, "silver_rows"),
    sumSales: num(json, "sum_sales"),
    byReason: counts(json, "by_reason"),
    rowNumberSums: counts(json, "row_number_sums"),
  };
}
