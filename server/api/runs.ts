import type { FastifyInstance } from "fastify";
import { quote, type RunStatus, StrataError, type Workspace } from "../../engine/index.ts";
import type { Launcher } from "../launcher.ts";
import {
  backfillSchema,
  errorResponses,
  eventSchema,
  limitQuery,
  partitionKey,
  runIdParams,
  runSchema,
  selectionText,
  stepSchema,
} from "../schemas.ts";
import { stepsOf } from "../views.ts";

const RUN_STATUSES: readonly RunStatus[] = ["queued", "started", "success", "failure", "canceled"];

interface LaunchBody {
  selection: string;
  partition?: string;
  from?: string;
  to?: string;
  tags?: Record<string, string>;
}

const launchBody = {
  type: "object",
  required: ["selection"],
  additionalProperties: false,
  properties: {
    selection: selectionText,
    partition: partitionKey,
    from: partitionKey,
    to: partitionKey,
    tags: {
      type: "object",
      maxProperties: 20,
      additionalProperties: { type: "string", maxLength: 200 },
      propertyNames: { pattern: "^[A-Za-z0-9_./-]{1,100}$" },
    },
  },
} as const;

const backfillBody = {
  type: "object",
  required: ["selection", "from", "to"],
  additionalProperties: false,
  properties: { selection: selectionText, from: partitionKey, to: partitionKey },
} as const;

/** Runs (list, detail with steps, events), launch, cancel; backfills (list, launch, cancel). */
export function runRoutes(app: FastifyInstance, workspace: Workspace, launcher: Launcher): void {
  const { storage } = workspace;

  app.get<{ Querystring: { status?: RunStatus; asset?: string; limit?: number; before?: string } }>(
    "/api/runs",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            status: { type: "string", enum: RUN_STATUSES },
            asset: { type: "string", maxLength: 300 },
            limit: limitQuery,
            before: runIdParams.properties.runId,
          },
        },
        response: {
          200: { type: "object", properties: { runs: { type: "array", items: runSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { status, asset, limit, before } = request.query;
      const runs = await storage.listRuns({
        limit: limit ?? 50,
        ...(status !== undefined && { statuses: [status] }),
        ...(asset !== undefined && { assetKey: asset }),
        ...(before !== undefined && { beforeRunId: before }),
      });
      return { runs };
    },
  );

  app.get<{ Params: { runId: string } }>(
    "/api/runs/:runId",
    {
      schema: {
        params: runIdParams,
        response: {
          200: {
            type: "object",
            properties: {
              run: runSchema,
              steps: { type: "array", items: stepSchema },
              events: { type: "array", items: eventSchema },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const run = await storage.getRun(request.params.runId);
      if (!run)
        throw new StrataError("STRATA_ERR_UNKNOWN_RUN", `run ${quote(request.params.runId)} does not exist.`);
      const events = await storage.listEvents(run.runId);
      return { run, steps: stepsOf(events), events };
    },
  );

  app.get<{ Params: { runId: string }; Querystring: { after?: number; limit?: number } }>(
    "/api/runs/:runId/events",
    {
      schema: {
        params: runIdParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { after: { type: "integer", minimum: 0 }, limit: limitQuery },
        },
        response: {
          200: { type: "object", properties: { events: { type: "array", items: eventSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { runId } = request.params;
      if (!(await storage.getRun(runId)))
        throw new StrataError("STRATA_ERR_UNKNOWN_RUN", `run ${quote(runId)} does not exist.`);
      const { after, limit } = request.query;
      const events = await storage.listEvents(runId, {
        limit: limit ?? 1000,
        ...(after !== undefined && { afterId: after }),
      });
      return { events };
    },
  );

  app.post<{ Body: LaunchBody }>(
    "/api/runs",
    {
      schema: {
        body: launchBody,
        response: { 201: { type: "object", properties: { run: runSchema } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { selection, partition, from, to, tags } = request.body;
      if ((from === undefined) !== (to === undefined) || (partition !== undefined && from !== undefined)) {
        throw new StrataError(
          "STRATA_ERR_INVALID_REQUEST",
          "give either `partition`, or both `from` and `to` (a partition range), or neither.",
        );
      }
      const run = await launcher.launch({
        selection,
        origin: { kind: "manual", name: "ui" },
        ...(partition !== undefined && { partition }),
        ...(from !== undefined && to !== undefined && { partitionRange: { from, to } }),
        ...(tags !== undefined && { tags }),
      });
      return reply.code(201).send({ run });
    },
  );

  app.post<{ Params: { runId: string } }>(
    "/api/runs/:runId/cancel",
    {
      schema: {
        params: runIdParams,
        response: { 200: { type: "object", properties: { run: runSchema } }, ...errorResponses },
      },
    },
    async (request) => ({ run: await launcher.cancel(request.params.runId) }),
  );

  app.get<{ Querystring: { limit?: number } }>(
    "/api/backfills",
    {
      schema: {
        querystring: { type: "object", additionalProperties: false, properties: { limit: limitQuery } },
        response: {
          200: { type: "object", properties: { backfills: { type: "array", items: backfillSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => ({ backfills: await storage.listBackfills(request.query.limit ?? 50) }),
  );

  app.post<{ Body: { selection: string; from: string; to: string } }>(
    "/api/backfills",
    {
      schema: {
        body: backfillBody,
        response: { 201: { type: "object", properties: { backfill: backfillSchema } }, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send({ backfill: await launcher.backfill(request.body) }),
  );

  app.post<{ Params: { runId: string } }>(
    "/api/backfills/:runId/cancel",
    {
      schema: {
        params: runIdParams,
        response: { 200: { type: "object", properties: { backfill: backfillSchema } }, ...errorResponses },
      },
    },
    async (request) => ({ backfill: await launcher.cancelBackfill(request.params.runId) }),
  );
}
