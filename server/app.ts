import Fastify, { type FastifyInstance } from "fastify";
import { quote, StrataError, type Workspace } from "../engine/index.ts";
import { assetRoutes } from "./api/assets.ts";
import { instigatorRoutes } from "./api/instigators.ts";
import { runRoutes } from "./api/runs.ts";
import { type StreamRegistry, streamRoutes } from "./api/stream.ts";
import { checkBearer } from "./auth.ts";
import { toErrorAnswer } from "./errors.ts";
import { Launcher } from "./launcher.ts";
import { LiveEvents } from "./live.ts";
import { pageRoutes } from "./pages/routes.ts";
import { staticRoutes } from "./static.ts";

export interface AppOptions {
  /** Bearer token required by every mutating /api route (see auth.ts for where it comes from). */
  readonly token: string;
  /** "daemon" when a daemon in the same process runs backfills (strata dev); default "inline". */
  readonly backfills?: "inline" | "daemon";
  /** How often storage is polled for events of runs executed by other processes. */
  readonly pollMs?: number;
  /** Whether a daemon is running alongside (reported by /api/health). */
  readonly daemon?: () => boolean;
  /**
   * Host names the Host header may carry (DNS-rebinding protection: another site's page must not
   * read the API through a name that resolves to loopback). Unset: any host (tests, inject()).
   */
  readonly allowedHostnames?: readonly string[];
  /** Where unexpected errors go (with their stack); default stderr. Never sent to clients. */
  readonly log?: (message: string) => void;
}

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  // Everything is served from this origin: no CDN, no inline script or style.
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

/** "localhost:3000" → "localhost", "[::1]:3000" → "::1". */
function hostnameOf(host: string | undefined): string {
  const value = host ?? "";
  if (value.startsWith("[")) return value.slice(1, value.indexOf("]"));
  const colon = value.lastIndexOf(":");
  return colon === -1 ? value : value.slice(0, colon);
}

/**
 * The asset UI and its JSON API over one workspace. Never listens: `server/main.ts` (strata dev)
 * does, and tests use `app.inject()`.
 */
export function buildApp(workspace: Workspace, options: AppOptions): FastifyInstance {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    // Unknown fields are an error, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", allErrors: false } },
  });
  const startedAt = Date.now();
  const live = new LiveEvents(workspace.storage, workspace.materializer, options.pollMs ?? 1000);
  const streams: StreamRegistry = new Set();
  const launcher = new Launcher(workspace, {
    backfills: options.backfills ?? "inline",
    onError: (error) =>
      log(`strata ui: launched work failed: ${error instanceof Error ? error.message : String(error)}`),
  });

  const allowed = options.allowedHostnames === undefined ? undefined : new Set(options.allowedHostnames);
  app.addHook("onRequest", async (request) => {
    if (allowed && !allowed.has(hostnameOf(request.headers.host))) {
      throw new StrataError(
        "STRATA_ERR_UNAUTHORIZED",
        `host ${quote(request.headers.host ?? "")} is not one this server answers to; open it as http://127.0.0.1:<port>.`,
      );
    }
    // Every method but GET/HEAD needs the token, whatever the URL looks like (no path tricks).
    if (request.method !== "GET" && request.method !== "HEAD")
      checkBearer(request.headers.authorization, options.token);
  });
  app.addHook("onSend", async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });
  app.setErrorHandler((error, request, reply) => {
    const answer = toErrorAnswer(error);
    if (answer.internal)
      log(
        `strata ui: ${request.method} ${request.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    return reply.code(answer.status).type("application/json; charset=utf-8").send(answer.body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type("application/json; charset=utf-8")
      .send({
        code: "STRATA_ERR_NOT_FOUND",
        message: `no route ${request.method} ${request.url.split("?")[0]}.`,
      }),
  );

  app.get(
    "/api/health",
    {
      schema: {
        response: {
          200: {
            type: "object",
            properties: {
              status: { type: "string" },
              assets: { type: "integer" },
              sensors: { type: "integer" },
              schedules: { type: "integer" },
              daemon: { type: "boolean" },
              uptimeSeconds: { type: "number" },
            },
          },
        },
      },
    },
    async () => {
      await workspace.storage.latestEventId(); // storage answers
      return {
        status: "ok",
        assets: workspace.definitions.graph.order.length,
        sensors: workspace.definitions.sensors.length,
        schedules: workspace.definitions.schedules.length,
        daemon: options.daemon?.() ?? false,
        uptimeSeconds: (Date.now() - startedAt) / 1000,
      };
    },
  );
  assetRoutes(app, workspace);
  runRoutes(app, workspace, launcher);
  instigatorRoutes(app, workspace);
  streamRoutes(app, workspace, live, streams);
  staticRoutes(app);
  pageRoutes(app, workspace);

  // SSE responses never finish by themselves: end them before the server waits for its connections.
  app.addHook("preClose", async () => {
    for (const end of [...streams]) end();
  });
  app.addHook("onClose", async () => {
    live.close();
    await launcher.drain();
  });
  return app;
}
