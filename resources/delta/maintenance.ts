/**
 * Table maintenance: vacuum (delete data files no version inside the retention window needs) and
 * optimize (bin-pack small files per partition into one commit with dataChange:false, which
 * readers of the change stream skip and which never conflicts with concurrent appends).
 */
import pl from "nodejs-polars";
import { quote, StrataError } from "../../engine/errors.ts";
import type { ObjectStore } from "../object-store/object-store.ts";
import type { AddAction } from "./actions.ts";
import { decodeLogPath } from "./partition-values.ts";
import type { DeltaSnapshot } from "./snapshot.ts";
import { deletedFileRetentionMs, liveTombstones } from "./table-state.ts";
import { readDataFile, type TableLayout, tableKey } from "./writer.ts";

export interface VacuumOptions {
  /** Keep files needed by versions younger than this; default and minimum: delta.deletedFileRetentionDuration (7 days). */
  readonly retentionHours?: number;
  /** Allow a retention below the table's minimum (only when no reader or writer can use older versions). */
  readonly force?: boolean;
  /** List what would be deleted without deleting. */
  readonly dryRun?: boolean;
  readonly now?: number;
}

export interface VacuumResult {
  /** Paths (relative to the table root) deleted, or that would be deleted in a dry run. */
  readonly files: readonly string[];
  readonly dryRun: boolean;
}

/** Directories Delta treats as not holding data files: `_delta_log`, `_change_data`, hidden ones. */
function isHidden(relative: string): boolean {
  return relative
    .split("/")
    .some((segment) => segment.startsWith(".") || (segment.startsWith("_") && !segment.includes("=")));
}

export async function vacuum(
  store: ObjectStore,
  root: string,
  snapshot: DeltaSnapshot,
  options: VacuumOptions = {},
): Promise<VacuumResult> {
  const minimum = deletedFileRetentionMs(snapshot.metadata.configuration);
  const retention = options.retentionHours === undefined ? minimum : options.retentionHours * 3_600_000;
  if (!(retention >= 0)) {
    throw new StrataError(
      "STRATA_ERR_DELTA_INVALID_WRITE",
      `vacuum retentionHours must be ≥ 0; got ${quote(options.retentionHours)}.`,
      {},
    );
  }
  if (retention < minimum && options.force !== true) {
    throw new StrataError(
      "STRATA_ERR_DELTA_RETENTION_TOO_SHORT",
      `vacuum retention of ${quote(`${retention / 3_600_000} hours`)} is shorter than the table minimum of ${minimum / 3_600_000} hours.`,
      { retentionHours: retention / 3_600_000, minimumHours: minimum / 3_600_000 },
    );
  }
  const now = options.now ?? Date.now();
  const cutoff = now - retention;
  const keep = new Set<string>(snapshot.files.map((add) => decodeLogPath(add.path)));
  for (const remove of liveTombstones(snapshot, now)) {
    if ((remove.deletionTimestamp ?? 0) > cutoff) keep.add(decodeLogPath(remove.path));
  }
  const prefix = root === "" ? "" : `${root}/`;
  const doomed: string[] = [];
  for await (const object of store.list(prefix)) {
    const relative = object.key.slice(prefix.length);
    // Young files may belong to a write that has not committed yet: retention protects them too.
    if (isHidden(relative) || keep.has(relative) || object.lastModified >= cutoff) continue;
    doomed.push(relative);
  }
  if (options.dryRun !== true) {
    for (const relative of doomed) await store.delete(tableKey(root, relative));
  }
  return { files: doomed, dryRun: options.dryRun === true };
}

export interface OptimizeOptions {
  /** Files smaller than this are compacted, into files of about this size (default 128 MiB). */
  readonly targetFileSize?: number;
  /** Compact a partition only if it has at least this many small files (default 2). */
  readonly minFiles?: number;
}

export interface CompactionBin {
  readonly files: readonly AddAction[];
  readonly rows: pl.DataFrame;
}

/** Group small files per partition into bins of about the target size, and read each bin's rows. */
export async function planOptimize(
  layout: TableLayout,
  files: readonly AddAction[],
  options: OptimizeOptions = {},
): Promise<CompactionBin[]> {
  const target = options.targetFileSize ?? 128 * 1024 * 1024;
  const minFiles = Math.max(2, options.minFiles ?? 2);
  const byPartition = new Map<string, AddAction[]>();
  for (const add of files) {
    if (add.size >= target || (add.deletionVector ?? null) !== null) continue;
    const key = JSON.stringify(layout.partitionColumns.map((column) => add.partitionValues[column] ?? null));
    byPartition.set(key, [...(byPartition.get(key) ?? []), add]);
  }
  const bins: CompactionBin[] = [];
  for (const group of byPartition.values()) {
    if (group.length < minFiles) continue;
    let current: AddAction[] = [];
    let size = 0;
    const flush = async () => {
      if (current.length >= 2) {
        const frames = await Promise.all(current.map((add) => readDataFile(layout, add)));
        bins.push({ files: current, rows: pl.concat(frames, { how: "vertical" }) });
      }
      current = [];
      size = 0;
    };
    for (const add of [...group].sort((a, b) => a.size - b.size)) {
      if (size + add.size > target && current.length > 0) await flush();
      current.push(add);
      size += add.size;
    }
    await flush();
  }
  return bins;
}
