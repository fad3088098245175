/**
 * `npm run bench [part...]`: every benchmark part, or the named ones. Parts print ratio lines
 * measured side by side in one run (this machine is shared and noisy).
 */
import { existsSync } from "node:fs";

type Part = () => Promise<void>;

async function optionalPart(file: string, exportName: string): Promise<Part | undefined> {
  const url = new URL(file, import.meta.url);
  if (!existsSync(url)) return undefined;
  const module: Record<string, unknown> = await import(url.href);
  const run = module[exportName];
  return typeof run === "function" ? async () => void (await run()) : undefined;
}

const parts: Record<string, () => Promise<Part | undefined>> = {
  engine: () => optionalPart("./engine.ts", "benchEngine"),
  delta: () => optionalPart("./delta.ts", "benchDelta"),
  silver: () => optionalPart("./silver.ts", "benchSilver"),
  pipeline: () => optionalPart("./pipeline.ts", "benchPipeline"),
  s3: () => optionalPart("./streaming-s3.ts", "benchS3"),
  kafka: () => optionalPart("./streaming-kafka.ts", "benchKafka"),
  server: () => optionalPart("./server.ts", "benchServer"),
  reference: () => optionalPart("./reference.ts", "benchReference"),
};

/** Part names: bare words, except the value that follows a `--flag` (every part's flags take one). */
function partNames(args: readonly string[]): string[] {
  return args.filter((arg, i) => {
    const previous = args[i - 1];
    const isFlagValue = previous?.startsWith("--") === true && !previous.includes("=");
    return !arg.startsWith("-") && !isFlagValue;
  });
}

const wanted = partNames(process.argv.slice(2));
for (const name of wanted.length > 0 ? wanted : Object.keys(parts)) {
  const load = parts[name];
  if (!load)
    throw new Error(`unknown bench part ${JSON.stringify(name)}; parts: ${Object.keys(parts).join(", ")}`);
  const run = await load();
  if (!run) {
    console.log(`${name}: not available yet`);
    continue;
  }
  console.log(`--- ${name}`);
  await run();
}
