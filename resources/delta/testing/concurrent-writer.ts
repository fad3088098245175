/**
 * Child process for the concurrency tests: appends or merges batches into one table, printing one
 * JSON line per committed operation. Run: node --import tsx concurrent-writer.ts <dir> <worker> <ops> <mode>
 * mode: append | merge | append-forever (for the kill test). With STRATA_TEST_S3 set, the table is on S3.
 */
import pl from "nodejs-polars";
import { LocalObjectStore } from "../../object-store/local-object-store.ts";
import { S3ObjectStore, type S3Settings } from "../../object-store/s3-object-store.ts";
import { DeltaTable } from "../delta-table.ts";

const [dir = "", worker = "0", ops = "1", mode = "append"] = process.argv.slice(2);
// STRATA_TEST_S3 (JSON S3Settings) puts the table on S3: then <dir> is unused.
const s3 = process.env.STRATA_TEST_S3;
function isS3Settings(value: unknown): value is S3Settings {
  return (
    typeof value === "object" &&
    value !== null &&
    ["bucket", "prefix", "region", "sse"].every((key) => typeof Reflect.get(value, key) === "string")
  );
}
const settings: unknown = s3 === undefined ? undefined : JSON.parse(s3);
const store = isS3Settings(settings) ? new S3ObjectStore(settings) : new LocalObjectStore(dir);
const table = DeltaTable.forPath(store, "t", {
  operationRetries: 50,
  commit: { maxRetries: 50 },
});

function batch(ids: string[], value: number): pl.DataFrame {
  return pl.DataFrame({ id: ids, worker: ids.map(() => Number(worker)), value: ids.map(() => value) });
}

for (let op = 0; mode === "append-forever" || op < Number(ops); op++) {
  if (mode === "merge") {
    // Every worker merges the same 10 keys: a lost conflict would duplicate a key.
    const keys = Array.from({ length: 10 }, (_, k) => `m-${k}`);
    const result = await table.merge(batch(keys, op), { keys: ["id"] });
    process.stdout.write(
      `${JSON.stringify({ op, version: result.version, attempts: result.attempts, rebased: result.rebasedOver, ...result.metrics })}\n`,
    );
  } else {
    const rows = mode === "append-forever" ? 20_000 : 5;
    const ids = Array.from({ length: rows }, (_, r) => `w${worker}-${op}-${r}`);
    const result = await table.append(batch(ids, op));
    process.stdout.write(
      `${JSON.stringify({ op, version: result.version, attempts: result.attempts, rebased: result.rebasedOver, rows })}\n`,
    );
  }
}
