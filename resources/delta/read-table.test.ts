import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { StrataError } from "../../engine/errors.ts";
import { LocalObjectStore } from "../object-store/local-object-store.ts";
import { dataFileKey, readTable } from "./read-table.ts";
import { loadSnapshot } from "./snapshot.ts";

const CORPUS = fileURLToPath(new URL("../../../shared/delta-conformance/", import.meta.url));

describe("data file keys", () => {
  const store = new LocalObjectStore("/tmp/strata-lake");

  it("decodes a relative log path exactly once and joins it to the table root", () => {
    expect(dataFileKey(store, "silver/sales/", "x=A%252FA/part-1.parquet")).toBe(
      "silver/sales/x=A%2FA/part-1.parquet",
    );
    expect(dataFileKey(store, "", "special%20p@%23h")).toBe("special p@#h");
    expect(dataFileKey(store, "t", "a%ZZ.parquet")).toBe("t/a%ZZ.parquet"); // not an escape: taken literally
  });

  it("accepts absolute file URIs inside the store in every spelling Spark and others use", () => {
    for (const uri of [
      "file:/tmp/strata-lake/t/part-1.parquet",
      "file:///tmp/strata-lake/t/part-1.parquet",
      "file://tmp/strata-lake/t/part-1.parquet",
    ]) {
      expect(dataFileKey(store, "t", uri)).toBe("t/part-1.parquet");
    }
  });

  it("refuses absolute URIs outside the store with a coded error", () => {
    let thrown: unknown;
    try {
      dataFileKey(store, "t", "s3://other-bucket/t/part-1.parquet");
    } catch (error) {
      thrown = error;
    }
    expect(StrataError.is(thrown, "STRATA_ERR_DELTA_UNREADABLE_DATA_FILE")).toBe(true);
    expect(String(thrown)).toContain("s3://other-bucket/t/part-1.parquet");
  });
});

describe("column selection", () => {
  const corpus = new LocalObjectStore(CORPUS);
  const root = "dat/multi_partitioned/delta";

  it("reads only the asked columns, partition columns included", async () => {
    const snapshot = await loadSnapshot(corpus, root);
    const frame = await readTable(corpus, root, snapshot, { columns: ["number", "letter"] });
    expect(frame.columns).toEqual(["number", "letter"]);
    const rows: Record<string, unknown>[] = frame.sort("number").toRecords();
    expect(rows).toEqual([
      { number: 6, letter: "/%20%f" },
      { number: 7, letter: "b" },
    ]);
  });

  it("refuses an unknown column with a coded error naming it", async () => {
    const snapshot = await loadSnapshot(corpus, root);
    const error = await readTable(corpus, root, snapshot, { columns: ["nmber"] }).catch((e: unknown) => e);
    expect(StrataError.is(error, "STRATA_ERR_DELTA_SCHEMA_MISMATCH")).toBe(true);
    expect(String(error)).toContain('"nmber"');
  });
});
