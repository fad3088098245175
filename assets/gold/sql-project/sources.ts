/**
 * `sources.json`: the tables the project reads but does not build (the Silver Delta tables). Declaring
 * them lets source() typos fail at load with a suggestion, and gives each source a column list so an
 * empty Delta table can still be registered with the right shape.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { quote } from "../../../engine/errors.ts";
import {
  isIdentifier,
  type SourceColumn,
  type SourceFile,
  type Warehouse,
} from "../../../resources/warehouse/warehouse.ts";
import { parseJsonFile, projectError } from "./config.ts";
import type { DeclaredSource } from "./types.ts";

export const SOURCES_FILE = "sources.json";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export async function readSources(dir: string): Promise<DeclaredSource[]> {
  let text: string;
  try {
    text = await readFile(join(dir, SOURCES_FILE), "utf8");
  } catch (error) {
    if (isRecord(error) && error.code === "ENOENT") return [];
    throw error;
  }
  const parsed = parseJsonFile(text, SOURCES_FILE);
  if (!isRecord(parsed) || !Array.isArray(parsed.sources)) {
    throw projectError(`${SOURCES_FILE} must be an object with a "sources" list.`);
  }
  return parsed.sources.map((entry, i): DeclaredSource => {
    const at = `${SOURCES_FILE} sources[${i}]`;
    if (!isRecord(entry)) throw projectError(`${at} must be an object.`);
    const { source, table } = entry;
    if (
      typeof source !== "string" ||
      typeof table !== "string" ||
      !isIdentifier(source) ||
      !isIdentifier(table)
    ) {
      throw projectError(`${at} needs identifier "source" and "table" names, got ${quote(entry)}.`);
    }
    const relationText = entry.relation ?? `${source}.${table}`;
    const parts = typeof relationText === "string" ? relationText.split(".") : [];
    const [schema, name] = parts;
    if (
      parts.length !== 2 ||
      schema === undefined ||
      name === undefined ||
      !isIdentifier(schema) ||
      !isIdentifier(name)
    ) {
      throw projectError(`${at}.relation must be "<schema>.<name>", got ${quote(relationText)}.`);
    }
    const columns = entry.columns ?? [];
    if (!Array.isArray(columns)) throw projectError(`${at}.columns must be a list of { "name", "type" }.`);
    const typed = columns.map((c, j): SourceColumn => {
      if (!isRecord(c) || typeof c.name !== "string" || typeof c.type !== "string") {
        throw projectError(`${at}.columns[${j}] must be { "name": …, "type": … }.`);
      }
      return { name: c.name, type: c.type };
    });
    return { source, table, relation: { schema, name }, columns: typed };
  });
}

/** Registers a declared source from a Delta snapshot's Parquet files (its declared columns cover "no files yet"). */
export function registerDeclaredSource(
  warehouse: Warehouse,
  source: DeclaredSource,
  files: readonly SourceFile[],
): Promise<void> {
  return warehouse.registerSource(source.relation, files, source.columns);
}
