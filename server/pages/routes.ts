import type { FastifyInstance, FastifyReply } from "fastify";
import { isAssetKey, type Workspace } from "../../engine/index.ts";
import { assetPage } from "./asset.ts";
import { automationPage } from "./automation.ts";
import { catalogPage } from "./catalog.ts";
import { html, page } from "./html.ts";
import { lineagePage } from "./lineage.ts";
import { runPage, runsPage } from "./runs.ts";

const sendHtml = (reply: FastifyReply, body: string, status = 200) =>
  reply.code(status).type("text/html; charset=utf-8").send(body);

const notFoundPage = (what: string) =>
  page(
    "Not found",
    "",
    html`<h1>Not found</h1><p>${what} does not exist.</p><p><a href="/">Back to the assets</a></p>`,
  );

/** The UI's pages, rendered on the server from the same views as the API. */
export function pageRoutes(app: FastifyInstance, workspace: Workspace): void {
  app.get("/", async (_request, reply) => sendHtml(reply, await catalogPage(workspace)));
  app.get("/lineage", async (_request, reply) => sendHtml(reply, await lineagePage(workspace)));
  app.get<{ Params: { "*": string } }>("/assets/*", async (request, reply) => {
    const key = request.params["*"];
    if (!isAssetKey(key) || !workspace.definitions.graph.has(key))
      return sendHtml(reply, notFoundPage(`Asset "${key}"`), 404);
    return sendHtml(reply, await assetPage(workspace, key));
  });
  app.get("/runs", async (_request, reply) => sendHtml(reply, await runsPage(workspace)));
  app.get<{ Params: { runId: string } }>("/runs/:runId", async (request, reply) => {
    const run = await workspace.storage.getRun(request.params.runId);
    if (!run) return sendHtml(reply, notFoundPage(`Run "${request.params.runId}"`), 404);
    return sendHtml(reply, await runPage(workspace, run));
  });
  app.get("/automation", async (_request, reply) => sendHtml(reply, await automationPage(workspace)));
}
