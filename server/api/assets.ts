import type { FastifyInstance } from "fastify";
import { type AssetKey, isAssetKey, quote, type Workspace } from "../../engine/index.ts";
import { notFound } from "../errors.ts";
import { lineageJson } from "../lineage.ts";
import {
  assetSchema,
  checkResultSchema,
  errorResponses,
  limitQuery,
  lineageSchema,
  materializationSchema,
} from "../schemas.ts";
import { assetSummary } from "../views.ts";

const assetQuery = {
  type: "object",
  required: ["asset"],
  additionalProperties: false,
  properties: {
    asset: { type: "string", minLength: 3, maxLength: 300 },
    partition: { type: "string", minLength: 1, maxLength: 100 },
    check: { type: "string", minLength: 1, maxLength: 200 },
    limit: limitQuery,
  },
} as const;

interface AssetQuery {
  asset: string;
  partition?: string;
  check?: string;
  limit?: number;
}

/** The key named by a request, known to the graph; 404 otherwise. */
export function knownAsset(workspace: Workspace, key: string): AssetKey {
  if (!isAssetKey(key) || !workspace.definitions.graph.has(key)) throw notFound(`asset ${quote(key)}`);
  return key;
}

/** Assets, lineage, materialisation history, check results and partition statuses. */
export function assetRoutes(app: FastifyInstance, workspace: Workspace): void {
  const graph = workspace.definitions.graph;

  app.get<{ Querystring: { layer?: string; group?: string } }>(
    "/api/assets",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            layer: { type: "string", maxLength: 100 },
            group: { type: "string", maxLength: 100 },
          },
        },
        response: {
          200: { type: "object", properties: { assets: { type: "array", items: assetSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { layer, group } = request.query;
      const keys = graph.order.filter(
        (key) =>
          (layer === undefined || key.startsWith(`${layer}/`)) &&
          (group === undefined || graph.definition(key).spec.group === group),
      );
      const assets = [];
      for (const key of keys) assets.push(await assetSummary(workspace, key));
      return { assets };
    },
  );

  app.get<{ Params: { "*": string } }>(
    "/api/assets/*",
    { schema: { response: { 200: assetSchema, ...errorResponses } } },
    async (request) => assetSummary(workspace, knownAsset(workspace, request.params["*"])),
  );

  app.get(
    "/api/lineage",
    { schema: { response: { 200: lineageSchema, ...errorResponses } } },
    async (_request, reply) => {
      const lineage = lineageJson(workspace);
      reply.header("server-timing", `layout;dur=${lineage.layoutMs.toFixed(1)}`);
      return lineage;
    },
  );

  app.get<{ Querystring: AssetQuery }>(
    "/api/materializations",
    {
      schema: {
        querystring: assetQuery,
        response: {
          200: {
            type: "object",
            properties: { materializations: { type: "array", items: materializationSchema } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { asset, partition, limit } = request.query;
      const materializations = await workspace.storage.materializations(knownAsset(workspace, asset), {
        limit: limit ?? 100,
        ...(partition !== undefined && { partition }),
      });
      return { materializations };
    },
  );

  app.get<{ Querystring: AssetQuery }>(
    "/api/check-results",
    {
      schema: {
        querystring: assetQuery,
        response: {
          200: { type: "object", properties: { results: { type: "array", items: checkResultSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { asset, check, limit } = request.query;
      const results = await workspace.storage.checkResults(knownAsset(workspace, asset), {
        limit: limit ?? 100,
        ...(check !== undefined && { checkName: check }),
      });
      return { results };
    },
  );

  app.get<{ Querystring: AssetQuery }>(
    "/api/partitions",
    {
      schema: {
        querystring: assetQuery,
        response: {
          200: {
            type: "object",
            properties: {
              asset: { type: "string" },
              partitions: {
                type: "array",
                items: {
                  type: "object",
                  properties: { key: { type: "string" }, status: { type: "string" } },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const key = knownAsset(workspace, request.query.asset);
      const definition = graph.definition(key).spec.partitions;
      if (!definition) return { asset: key, partitions: [] };
      const statuses = await workspace.storage.partitionStatuses(key);
      const partitions = definition
        .keys(workspace.clock.now())
        .map((partition) => ({ key: partition, status: statuses.get(partition) ?? "missing" }));
      return { asset: key, partitions };
    },
  );
}
