import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { generateSalesCsv, ROWS_1X } from "../assets/data-gen/generate.ts";
import { transformToSilver } from "../assets/silver/transform/transform.ts";
import { REJECTION_REASONS } from "../assets/silver/transform/types.ts";
import { silverSql } from "./silver-sql.ts";

/**
 * Silver benchmark: our polars transform against DuckDB running the same rules as SQL
 * (`silver-sql.ts`), on the same generated CSV, each measurement in a fresh child process (module
 * load excluded from the timed span, peak RSS from the child's resource usage). Runs interleave
 * polars/duckdb; the median per engine is compared. Output counts per reason and sum(sales) must
 * agree between the engines and with the generator's expected counts, or the run fails.
 *
 *   npx tsx bench/silver.ts [--scales 1,10,100] [--reps 3] [--errors 0.02]
 *   (env STRATA_BENCH_SCALES=1,10 works too; 100x needs ~1.3 GB of disk under .cache/bench/.)
 */

const THIS_FILE = fileURLToPath(import.meta.url);
const CACHE = fileURLToPath(new URL("../.cache/bench/", import.meta.url));
const SEED = 2026;
const GENERATOR_VERSION = 1;
const INGESTED_MS = Date.UTC(2026, 10, 25, 2, 0, 0);
const GOAL_RATIO = 0.8;

function packageVersion(name: string): string {
  try {
    const pkg: unknown = createRequire(import.meta.url)(`${name}/package.json`);
    return typeof pkg === "object" && pkg !== null && "version" in pkg ? String(pkg.version) : "?";
  } catch {
    return "?";
  }
}

export interface EngineRun {
  readonly engine: "polars" | "duckdb";
  readonly wallMs: number;
  readonly maxRssMb: number;
  readonly rowsRead: number;
  readonly silverRows: number;
  readonly byReason: Record<string, number>;
  readonly sumSales: number;
}

export interface ScaleResult {
  readonly scale: number;
  readonly rows: number;
  readonly bytes: number;
  readonly polars: EngineRun;
  readonly duckdb: EngineRun;
  readonly ratio: number;
}

interface CachedInput {
  readonly path: string;
  readonly sha256: string;
  readonly rows: number;
  readonly bytes: number;
  readonly expected: Record<string, number>;
  readonly expectedSilverRows: number;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk);
  return h.digest("hex");
}

/** Generated inputs are cached with their expected counts; the generator is deterministic per seed. */
async function input(scale: number, errors: number): Promise<CachedInput> {
  // Bump GENERATOR_VERSION when the generator's output changes, so cached inputs and expected counts are rebuilt.
  const path = `${CACHE}silver_${scale}x_seed${SEED}_err${errors}_v${GENERATOR_VERSION}.csv`;
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) {
    const cached: CachedInput = JSON.parse(readFileSync(meta, "utf8"));
    if (statSync(path).size === cached.bytes) return { ...cached, path };
  }
  const g = generateSalesCsv({
    rows: ROWS_1X * scale,
    seed: SEED,
    errors,
    outPath: path,
    quoteErrors: false,
  });
  const cached: CachedInput = {
    path,
    sha256: await sha256File(path),
    rows: g.rows,
    bytes: g.bytes,
    expected: { ...g.expected },
    expectedSilverRows: g.expectedSilverRows,
  };
  writeFileSync(meta, JSON.stringify(cached));
  return cached;
}

/** Child side: one engine, one file, one JSON line on stdout. */
async function child(engine: string, path: string, sha256: string): Promise<void> {
  const t0 = performance.now();
  let result: Omit<EngineRun, "maxRssMb" | "wallMs">;
  if (engine === "polars") {
    const r = transformToSilver([{ content: path, key: "bench.csv", sha256, ingestedAtMs: INGESTED_MS }], {
      runId: "bench",
      processedAtMs: INGESTED_MS,
      onPhase: (phase, ms) => {
        if (!process.env.STRATA_BENCH_PHASES) return;
        // RSS now and the peak so far (MiB), to see which phase sets the peak.
        const rss = process.memoryUsage.rss() / 2 ** 20;
        const peak = process.resourceUsage().maxRSS / 1024;
        process.stderr.write(
          `  ${phase} ${ms.toFixed(0)} ms, rss ${rss.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB\n`,
        );
      },
    });
    result = {
      engine: "polars",
      rowsRead: r.counts.rowsRead,
      silverRows: r.counts.silverRows,
      byReason: { ...r.counts.byReason },
      sumSales: Number(r.silver.getColumn("sales").sum()),
    };
  } else {
    const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
    const conn = await instance.connect();
    const opts = { csvPath: path, objectKey: "bench.csv", objectSha256: sha256, runId: "bench" };
    for (const sql of silverSql({
      ...opts,
      ingestedAtMs: INGESTED_MS,
      processedAtMs: INGESTED_MS,
      threshold: 10_000,
    })) {
      await conn.run(sql);
    }
    const byReason = Object.fromEntries(REJECTION_REASONS.map((r) => [r, 0]));
    const rows = await conn.runAndReadAll(
      "SELECT rejection_reason, count(*)::INTEGER AS n FROM quarantine GROUP BY ALL",
    );
    for (const row of rows.getRowObjectsJS()) byReason[String(row.rejection_reason)] = Number(row.n);
    const totals = await conn.runAndReadAll(
      "SELECT (SELECT count(*) FROM silver)::INTEGER AS n, (SELECT sum(sales) FROM silver) AS s, " +
        "((SELECT count(*) FROM staged) + (SELECT count(DISTINCT line) FROM reject_errors))::INTEGER AS r",
    );
    const t = totals.getRowObjectsJS()[0] ?? {};
    result = {
      engine: "duckdb",
      rowsRead: Number(t.r),
      silverRows: Number(t.n),
      byReason,
      sumSales: Number(t.s),
    };
  }
  const wallMs = performance.now() - t0;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ ...result, wallMs, maxRssMb })}\n`);
}

function runChild(engine: "polars" | "duckdb", inp: CachedInput): EngineRun {
  const out = spawnSync(
    process.execPath,
    ["--import", "tsx", THIS_FILE, "--child", engine, inp.path, inp.sha256],
    {
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const line = out.stdout.trim().split("\n").pop() ?? "";
  if (out.status !== 0 || !line.startsWith("{")) {
    throw new Error(`${engine} child failed (status ${out.status}): ${out.stderr.slice(-2000)}`);
  }
  return JSON.parse(line);
}

const median = (runs: EngineRun[]): EngineRun => {
  const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs);
  const m = sorted[Math.floor(sorted.length / 2)];
  if (!m) throw new Error("no runs");
  return m;
};

function checkAgreement(scale: number, inp: CachedInput, p: EngineRun, d: EngineRun): string[] {
  const problems: string[] = [];
  for (const reason of REJECTION_REASONS) {
    const [e, pv, dv] = [inp.expected[reason] ?? 0, p.byReason[reason] ?? 0, d.byReason[reason] ?? 0];
    if (pv !== e || dv !== e) problems.push(`${scale}x ${reason}: expected ${e}, polars ${pv}, duckdb ${dv}`);
  }
  if (p.silverRows !== d.silverRows || p.silverRows !== inp.expectedSilverRows) {
    problems.push(
      `${scale}x silver rows: expected ${inp.expectedSilverRows}, polars ${p.silverRows}, duckdb ${d.silverRows}`,
    );
  }
  if (p.rowsRead !== inp.rows || d.rowsRead !== inp.rows) {
    problems.push(`${scale}x rows read: expected ${inp.rows}, polars ${p.rowsRead}, duckdb ${d.rowsRead}`);
  }
  if (Math.abs(p.sumSales - d.sumSales) > 1e-6 * Math.max(1, Math.abs(d.sumSales))) {
    problems.push(`${scale}x sum(sales): polars ${p.sumSales}, duckdb ${d.sumSales}`);
  }
  return problems;
}

export interface BenchSilverOptions {
  readonly scales?: readonly number[];
  readonly reps?: number;
  readonly errors?: number;
  readonly log?: (line: string) => void;
}

export async function benchSilver(options: BenchSilverOptions = {}): Promise<ScaleResult[]> {
  // Defaults from the command line, also under `npm run bench -- silver --scales 100 --reps 1`.
  const scales =
    options.scales ??
    (flag("--scales") ?? process.env.STRATA_BENCH_SCALES ?? "1,10,100").split(",").map(Number);
  const reps = options.reps ?? Number(flag("--reps") ?? 3);
  const errors = options.errors ?? Number(flag("--errors") ?? 0.02);
  const log = options.log ?? ((l: string) => console.log(l));
  const results: ScaleResult[] = [];
  const problems: string[] = [];
  // Shared 2-core machines are noisy: record what the numbers were measured on.
  log(
    `env: ${cpus().length} cpus, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join("/")}, node ${process.version}, ` +
      `nodejs-polars ${packageVersion("nodejs-polars")}, @duckdb/node-api ${packageVersion("@duckdb/node-api")} (threads=2), ` +
      `errors ${errors}, reps ${reps}, timed span excludes module load`,
  );
  for (const scale of scales) {
    const inp = await input(scale, errors);
    const runs: Record<"polars" | "duckdb", EngineRun[]> = { polars: [], duckdb: [] };
    for (let i = 0; i < reps; i++) {
      // Alternate which engine goes first, so page-cache warmth and thermal drift do not favour one.
      const order: Array<"polars" | "duckdb"> = i % 2 === 0 ? ["polars", "duckdb"] : ["duckdb", "polars"];
      for (const engine of order) runs[engine].push(runChild(engine, inp));
    }
    const p = median(runs.polars);
    const d = median(runs.duckdb);
    problems.push(...checkAgreement(scale, inp, p, d));
    const ratio = p.wallMs / d.wallMs;
    results.push({ scale, rows: inp.rows, bytes: inp.bytes, polars: p, duckdb: d, ratio });
    const range = (rs: EngineRun[]) =>
      `${Math.min(...rs.map((r) => r.wallMs)).toFixed(0)}–${Math.max(...rs.map((r) => r.wallMs)).toFixed(0)}`;
    log(
      `silver ${scale}x (${inp.rows} rows, ${(inp.bytes / 1e6).toFixed(1)} MB): polars ${p.wallMs.toFixed(0)} ms [${range(runs.polars)}], ` +
        `duckdb ${d.wallMs.toFixed(0)} ms [${range(runs.duckdb)}], ratio ${ratio.toFixed(2)} (goal ≤ ${GOAL_RATIO}) ` +
        `${ratio <= GOAL_RATIO ? "PASS" : "FAIL"}; silver rows ${p.silverRows}, sum(sales) ${p.sumSales.toFixed(2)}`,
    );
  }
  const at = (s: number) => results.find((r) => r.scale === s);
  for (const [hi, lo] of [
    [10, 1],
    [100, 10],
  ] as const) {
    const a = at(hi);
    const b = at(lo);
    if (!a || !b) continue;
    log(
      `scaling t(${hi}x)/t(${lo}x): polars ${(a.polars.wallMs / b.polars.wallMs).toFixed(1)}, duckdb ${(a.duckdb.wallMs / b.duckdb.wallMs).toFixed(1)}`,
    );
  }
  const largest = results[results.length - 1];
  if (largest) {
    const mb = largest.bytes / 2 ** 20;
    log(
      `peak RSS at ${largest.scale}x (${mb.toFixed(0)} MiB CSV): polars ${largest.polars.maxRssMb.toFixed(0)} MiB ` +
        `(${(largest.polars.maxRssMb / mb).toFixed(1)}× input), duckdb ${largest.duckdb.maxRssMb.toFixed(0)} MiB ` +
        `(${(largest.duckdb.maxRssMb / mb).toFixed(1)}× input)`,
    );
  }
  log(
    problems.length === 0
      ? "outputs agree: per-reason counts, silver rows and sum(sales) equal across engines and generator"
      : `MISMATCH:\n  ${problems.join("\n  ")}`,
  );
  if (problems.length > 0) process.exitCode = 1;
  return results;
}

/** `--name value` or `--name=value` (the form bench/main.ts passes through: it reads bare words as parts). */
function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i >= 0) return process.argv[i + 1];
  return process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

if (process.argv[1] === THIS_FILE) {
  if (process.argv[2] === "--child") {
    await child(process.argv[3] ?? "", process.argv[4] ?? "", process.argv[5] ?? "");
  } else {
    await benchSilver();
  }
}
