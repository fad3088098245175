/**
 * Loads a SQL project folder into a typed, validated, in-memory project:
 *   <dir>/sources.json          declared sources: { "sources": [{ "source", "table", "relation"?, "columns"? }] }
 *   <dir>/<folder>/**\/*.sql     models; the top folder is the default schema (staging, snapshots, marts)
 *   <dir>/tests/**\/*.sql        singular tests (a query returning failing rows)
 *   <dir>/tests/**\/*.json       generic tests (see generic-tests.ts)
 * Everything is checked at load (syntax, config, refs with suggestions, cycles) so that a broken file
 * fails before the first statement runs.
 */
import { readdir, readFile } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import { quote, StrataError } from "../../../engine/errors.ts";
import { isIdentifier, type Relation } from "../../../resources/warehouse/warehouse.ts";
import { type Resolver, render, stringArg } from "./compile.ts";
import { configArguments, modelConfig, parseJsonFile, projectError, testConfig } from "./config.ts";
import { didYouMean } from "./did-you-mean.ts";
import { literalOf } from "./expression.ts";
import { expandGenericTests } from "./generic-tests.ts";
import { readSources } from "./sources.ts";
import { parseTemplate, type TemplateNode, templateCalls } from "./template.ts";
import type { DeclaredSource, SourceName, SqlModel, SqlProject, SqlTest } from "./types.ts";

const TESTS_FOLDER = "tests";

export async function loadSqlProject(dir: string): Promise<SqlProject> {
  const files = await listFiles(dir);
  const sources = await readSources(dir);
  const resolver = makeResolver(sources);
  const models: SqlModel[] = [];
  const pendingTests: {
    name: string;
    path: string;
    nodes: TemplateNode[];
    kind: SqlTest["kind"];
    config: ReturnType<typeof testConfig>;
  }[] = [];

  for (const path of files) {
    const rel = relative(dir, path).split(sep).join("/");
    const folders = rel.split("/").slice(0, -1);
    const isTest = folders[0] === TESTS_FOLDER;
    if (path.endsWith(".json") && isTest) {
      for (const test of expandGenericTests(parseJsonFile(await readFile(path, "utf8"), rel), rel)) {
        const nodes = parseTemplate(test.template, `${rel} (${test.name})`);
        pendingTests.push({
          name: test.name,
          path: rel,
          nodes,
          kind: "generic",
          config: { severity: test.severity, model: test.model, description: test.description },
        });
      }
      continue;
    }
    if (!path.endsWith(".sql")) continue;
    const name = basename(path, ".sql");
    if (!isIdentifier(name))
      throw projectError(`File name ${quote(rel)} must be an identifier (letters, digits, _).`);
    const nodes = parseTemplate(await readFile(path, "utf8"), rel);
    const args = configArguments(nodes, rel);
    if (isTest) {
      pendingTests.push({ name, path: rel, nodes, kind: "singular", config: testConfig(args, rel) });
      continue;
    }
    const folder = folders.join("/");
    const config = modelConfig(args, folders[0] ?? "main", rel);
    const deps = dependencies(nodes, rel);
    const relation: Relation = { schema: config.schema, name };
    models.push({
      name,
      relation,
      folder,
      path: rel,
      config,
      refs: deps.refs,
      sources: deps.sources,
      // A trailing semicolon would break the statements the SELECT is embedded in (CTAS, MERGE sources).
      compile: (options) =>
        withoutTrailingSemicolon(
          render(nodes, resolver, {
            dialect: options.dialect,
            isIncremental: options.isIncremental,
            self: relation,
            where: rel,
          }),
        ),
    });
  }

  const byName = new Map<string, SqlModel>();
  for (const model of models) {
    const clash = byName.get(model.name);
    if (clash !== undefined)
      throw projectError(`Two models are named ${quote(model.name)}: ${clash.path} and ${model.path}.`);
    byName.set(model.name, model);
  }
  resolver.models = byName;
  for (const model of models) validateDeps(model.refs, model.sources, model.path, resolver);

  const tests: SqlTest[] = [];
  const testNames = new Set<string>();
  for (const pending of pendingTests) {
    if (testNames.has(pending.name))
      throw projectError(`Two tests are named ${quote(pending.name)} (one in ${pending.path}).`);
    testNames.add(pending.name);
    const deps = dependencies(pending.nodes, pending.path);
    validateDeps(deps.refs, deps.sources, pending.path, resolver);
    const model = pending.config.model ?? deps.firstRef;
    if (model === undefined)
      throw projectError(`Test ${pending.path} refs no model; add {{ ref('…') }} or config(model='…').`);
    resolver.model(model, pending.path);
    const where = `${pending.path} (${pending.name})`;
    const nodes = pending.nodes;
    tests.push({
      name: pending.name,
      path: pending.path,
      kind: pending.kind,
      severity: pending.config.severity,
      model,
      models: deps.refs,
      description: pending.config.description,
      sql: (dialect) => render(nodes, resolver, { dialect, isIncremental: false, self: undefined, where }),
    });
  }

  // A dry render of every branch catches unknown macros and bad macro arguments at load time.
  for (const model of models) {
    for (const isIncremental of [false, true]) model.compile({ dialect: "duckdb", isIncremental });
  }
  for (const test of tests) test.sql("duckdb");
  const ordered = topologicalOrder(models, byName);
  return {
    dir,
    models: ordered,
    tests,
    sources,
    model: (name) => {
      const model = byName.get(name);
      if (model === undefined) throw unknownModel(name, "the caller", byName.keys());
      return model;
    },
    testsOf: (name) => tests.filter((t) => t.model === name),
  };
}

interface Dependencies {
  readonly refs: string[];
  readonly sources: SourceName[];
  readonly firstRef: string | undefined;
}

function dependencies(nodes: readonly TemplateNode[], where: string): Dependencies {
  const refs: string[] = [];
  const sources = new Map<string, SourceName>();
  for (const c of templateCalls(nodes)) {
    const args = c.args.map((a) => literalOf(a) ?? "");
    if (c.name === "ref") refs.push(stringArg(args, 0, "ref", where));
    if (c.name === "source") {
      const name = {
        source: stringArg(args, 0, "source", where),
        table: stringArg(args, 1, "source", where),
      };
      sources.set(`${name.source}.${name.table}`, name);
    }
  }
  return { refs: [...new Set(refs)].sort(), sources: [...sources.values()], firstRef: refs[0] };
}

type MutableResolver = Resolver & { models: ReadonlyMap<string, SqlModel> };

function makeResolver(sources: readonly DeclaredSource[]): MutableResolver {
  return {
    models: new Map(),
    model(name, where) {
      const model = this.models.get(name);
      if (model === undefined) throw unknownModel(name, where, this.models.keys());
      return model.relation;
    },
    source(source, table, where) {
      const found = sources.find((s) => s.source === source && s.table === table);
      if (found === undefined) {
        const known = sources.map((s) => `${s.source}.${s.table}`);
        throw new StrataError(
          "STRATA_ERR_SQL_UNKNOWN_REF",
          `${where} reads source ${quote(`${source}.${table}`)}, which sources.json does not declare.${didYouMean(`${source}.${table}`, known)}`,
          { source, table, where },
        );
      }
      return found.relation;
    },
  };
}

function validateDeps(
  refs: readonly string[],
  sources: readonly SourceName[],
  where: string,
  resolver: Resolver,
): void {
  for (const ref of refs) resolver.model(ref, where);
  for (const s of sources) resolver.source(s.source, s.table, where);
}

function unknownModel(name: string, where: string, known: Iterable<string>): StrataError {
  return new StrataError(
    "STRATA_ERR_SQL_UNKNOWN_REF",
    `${where} refers to model ${quote(name)}, which no .sql file defines.${didYouMean(name, known)}`,
    { ref: name, where },
  );
}

/** Dependency order, ties broken by name so the order is stable across machines. */
function topologicalOrder(models: readonly SqlModel[], byName: ReadonlyMap<string, SqlModel>): SqlModel[] {
  const ordered: SqlModel[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (model: SqlModel, path: readonly string[]): void => {
    const seen = state.get(model.name);
    if (seen === "done") return;
    if (seen === "visiting") {
      const cycle = [...path.slice(path.indexOf(model.name)), model.name].join(" → ");
      throw new StrataError(
        "STRATA_ERR_DEPENDENCY_CYCLE",
        `SQL models ref each other in a cycle: ${cycle}.`,
        { cycle },
      );
    }
    state.set(model.name, "visiting");
    for (const ref of model.refs) {
      const dep = byName.get(ref);
      if (dep !== undefined) visit(dep, [...path, model.name]);
    }
    state.set(model.name, "done");
    ordered.push(model);
  };
  for (const model of [...models].sort((a, b) => a.name.localeCompare(b.name))) visit(model, []);
  return ordered;
}

function withoutTrailingSemicolon(sql: string): string {
  return sql.trimEnd().replace(/;+$/, "");
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch((error: unknown) => {
    throw new StrataError(
      "STRATA_ERR_SQL_PROJECT",
      `Cannot read the SQL project folder ${quote(dir)}: ${String(error)}.`,
    );
  });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
