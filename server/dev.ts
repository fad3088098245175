import type { FastifyInstance } from "fastify";
import { Daemon } from "../engine/daemon/daemon.ts";
import type { Workspace } from "../engine/index.ts";
import { buildApp } from "./app.ts";
import { resolveUiToken, type UiToken } from "./auth.ts";

export interface DevOptions {
  readonly host: string;
  readonly port: number;
  /** Run the daemon (sensors, schedules, automation, queued runs, backfills) in this process. */
  readonly daemon: boolean;
  readonly loopIntervalMs?: number;
  readonly maxConcurrentRuns?: number;
  readonly log: (line: string) => void;
}

export interface DevServer {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly token: UiToken;
  /** Building the app and listening (the workspace was opened before). */
  readonly listenMs: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** The UI and the daemon in one process, as `strata dev` runs them. */
export async function startDev(workspace: Workspace, options: DevOptions): Promise<DevServer> {
  const started = performance.now();
  const token = resolveUiToken(workspace.stateDir);
  const daemon = options.daemon
    ? new Daemon(workspace.storage, workspace.materializer, workspace.backfills, workspace.clock, {
        loopIntervalMs: options.loopIntervalMs ?? 1000,
        maxConcurrentRuns: options.maxConcurrentRuns ?? 2,
        onError: (error) => options.log(`daemon: ${error.message}`),
        retention: { runDays: 30, tickDays: 30 },
      })
    : undefined;
  const app = buildApp(workspace, {
    token: token.token,
    backfills: daemon ? "daemon" : "inline",
    daemon: () => daemon !== undefined,
    log: options.log,
    // Bound to all interfaces, any name may reach it; otherwise only its own names are answered.
    ...(!["0.0.0.0", "::"].includes(options.host) && {
      allowedHostnames: [...LOOPBACK, options.host],
    }),
  });
  await app.listen({ host: options.host, port: options.port });
  daemon?.start();
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  if (!LOOPBACK.has(options.host))
    options.log(`warning: listening on ${options.host}, reachable from other machines; reads need no token.`);
  return {
    app,
    url: `http://${host}:${port}`,
    token,
    listenMs: performance.now() - started,
    async close() {
      await app.close();
      await daemon?.stop();
    },
  };
}

/** How to tell the user about the token: the value only when it was just generated (printed once). */
export function tokenNotice(token: UiToken): string {
  switch (token.source) {
    case "generated":
      return `API token (shown once; stored in ${token.file} with mode 0600): ${token.token}`;
    case "state-dir":
      return `API token: stored in ${token.file} (mode 0600)`;
    case "env":
      return "API token: from STRATA_UI_TOKEN";
    default:
      return "API token: from strata.config.json (STRATA_UI_TOKEN)";
  }
}
