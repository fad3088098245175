import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";

const TYPES: Readonly<Record<string, string>> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

/** The front end's few files, read once at start-up and served from memory (no CDN, no fs per request). */
export const STATIC_FILES = ["app.js", "live.js", "dialogs.js", "lineage.js", "style.css"] as const;

export function staticRoutes(app: FastifyInstance): void {
  const files = new Map<string, Buffer>(
    STATIC_FILES.map((name) => [name, readFileSync(new URL(`./public/${name}`, import.meta.url))]),
  );
  app.get<{ Params: { file: string } }>("/static/:file", async (request, reply) => {
    const body = files.get(request.params.file);
    const type = TYPES[request.params.file.split(".").pop() ?? ""];
    if (!body || !type) return reply.callNotFound();
    return reply.type(type).header("cache-control", "no-cache").send(body);
  });
}
