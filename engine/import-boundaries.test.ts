import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, test } from "vitest";

const root = new URL("..", import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(dir, entry.name)]
        : [],
  );
}

test("engine/ imports nothing from the pipeline (assets, resources, sensors, schedules, server)", () => {
  const offenders: string[] = [];
  for (const file of files(join(root, "engine"))) {
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
      const target = match[1] ?? "";
      if (/(^|\/)(assets|resources|sensors|schedules|server)\//.test(target))
        offenders.push(`${relative(root, file)} -> ${target}`);
    }
  }
  expect(offenders).toEqual([]);
});
