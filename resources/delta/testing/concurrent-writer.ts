/**
 * Child process for the concurrency tests: appends or merges batches into one table, printing one
 * JSON line per committed operation. Run: node --import tsx concurrent-writer.ts <dir> <worker> <ops> <mode>
 * mode: append | merge | append-forever (for the kill test).
 */
import pl from "nodejs-polars";
import { LocalObjectStore } from "../../object-store/local-object-store.ts";
import { DeltaTable } from "../delta-table.ts";

const [dir = "", worker = "0", ops = "1", mode = "append"] = process.argv.slice(2);
const table = DeltaTable.forPath(new LocalObjectStore(dir), "t", {
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
