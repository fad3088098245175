import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type EventRecord, quote, StrataError, type Workspace } from "../../engine/index.ts";
import type { LiveEvents } from "../live.ts";
import { errorResponses, runIdParams } from "../schemas.ts";

const TERMINAL = new Set(["RUN_SUCCESS", "RUN_FAILURE", "RUN_CANCELED"]);

/** Open streams, so closing the app ends them (an SSE response otherwise never finishes). */
export type StreamRegistry = Set<() => void>;

interface SseStream {
  send(event: EventRecord): void;
  end(): void;
}

function openSse(
  request: FastifyRequest,
  reply: FastifyReply,
  registry: StreamRegistry,
  onClose: () => void,
): SseStream {
  reply.hijack();
  reply.raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-content-type-options": "nosniff",
  });
  reply.raw.write("retry: 2000\n\n");
  // Comments keep idle connections open through proxies and let the server notice closed clients.
  const heartbeat = setInterval(() => reply.raw.write(": ping\n\n"), 15_000);
  heartbeat.unref();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    registry.delete(end);
    onClose();
    reply.raw.end();
  };
  registry.add(end);
  request.raw.on("close", end);
  return {
    send: (event) => {
      if (!ended)
        reply.raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    },
    end,
  };
}

/** The Last-Event-ID a reconnecting EventSource sends (0 when absent or malformed). */
function lastEventId(request: FastifyRequest): number {
  const value = Number(request.headers["last-event-id"] ?? 0);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

/**
 * Server-sent events: `/api/stream` carries every new event (pages refresh what changed);
 * `/api/runs/:id/stream` replays a run's events (after Last-Event-ID when reconnecting) and
 * follows it live until it ends.
 */
export function streamRoutes(
  app: FastifyInstance,
  workspace: Workspace,
  live: LiveEvents,
  registry: StreamRegistry,
): void {
  app.get("/api/stream", async (request, reply) => {
    const resumeFrom = lastEventId(request);
    let lastSent = resumeFrom;
    // A reconnecting browser (Last-Event-ID) first gets what it missed, then the live events.
    let replaying = resumeFrom > 0;
    const held: EventRecord[] = [];
    const stream = openSse(request, reply, registry, () => unsubscribe());
    const sendOne = (event: EventRecord) => {
      if (event.id <= lastSent) return;
      lastSent = event.id;
      stream.send(event);
    };
    const unsubscribe = live.subscribe((event) => (replaying ? held.push(event) : sendOne(event)));
    if (!replaying) return;
    for (const event of await workspace.storage.listEventsAfter(resumeFrom, [], 1000)) sendOne(event);
    replaying = false;
    for (const event of held.sort((a, b) => a.id - b.id)) sendOne(event);
  });

  app.get<{ Params: { runId: string } }>(
    "/api/runs/:runId/stream",
    { schema: { params: runIdParams, response: errorResponses } },
    async (request, reply) => {
      const { runId } = request.params;
      const run = await workspace.storage.getRun(runId);
      if (!run) throw new StrataError("STRATA_ERR_UNKNOWN_RUN", `run ${quote(runId)} does not exist.`);
      let lastSent = lastEventId(request);
      // Subscribe before reading the backlog and hold live events until it is sent, so nothing
      // falls between the two and the order stays the event order.
      let replaying = true;
      const held: EventRecord[] = [];
      let stream: SseStream | undefined;
      const sendOne = (event: EventRecord) => {
        if (!stream || event.id <= lastSent) return;
        lastSent = event.id;
        stream.send(event);
        if (TERMINAL.has(event.type)) stream.end();
      };
      const unsubscribe = live.subscribe((event) => {
        if (event.runId !== runId) return;
        if (replaying) held.push(event);
        else sendOne(event);
      });
      stream = openSse(request, reply, registry, unsubscribe);
      const backlog = await workspace.storage.listEvents(runId, { afterId: lastSent });
      for (const event of backlog) sendOne(event);
      replaying = false;
      for (const event of held.sort((a, b) => a.id - b.id)) sendOne(event);
      const current = await workspace.storage.getRun(runId);
      // A run that ended without a terminal event (e.g. cancelled while queued) ends the stream too.
      if (current && ["success", "failure", "canceled"].includes(current.status)) {
        const ended = [...backlog, ...held].some((e) => TERMINAL.has(e.type));
        if (!ended) stream.end();
      }
    },
  );
}
