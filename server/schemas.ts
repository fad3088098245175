/**
 * JSON schemas of the API: requests are validated with them (Ajv, unknown fields rejected) and
 * responses serialised with them (fields not listed are never sent, so nothing leaks by accident).
 */

const str = { type: "string" } as const;
const int = { type: "integer" } as const;
const bool = { type: "boolean" } as const;
const strMap = { type: "object", additionalProperties: { type: "string" } } as const;
/** Free-form JSON (metadata, event data): serialised as is. */
const anyJson = {} as const;
const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: "null" }] }) as const;

export const errorSchema = {
  type: "object",
  required: ["code", "message"],
  properties: { code: str, message: str },
} as const;

export const runSchema = {
  type: "object",
  required: ["runId", "status", "assetKeys", "selection", "createdAt"],
  properties: {
    runId: str,
    status: str,
    assetKeys: { type: "array", items: str },
    selection: str,
    partition: str,
    partitionRange: { type: "object", properties: { from: str, to: str } },
    tags: strMap,
    backfillId: str,
    origin: { type: "object", properties: { kind: str, name: str } },
    runKey: str,
    createdAt: int,
    startedAt: int,
    endedAt: int,
    error: str,
    cancelRequestedAt: int,
    startEventMark: int,
  },
} as const;

export const eventSchema = {
  type: "object",
  properties: {
    id: int,
    runId: str,
    type: str,
    timestamp: int,
    assetKey: str,
    partition: str,
    level: str,
    message: str,
    data: anyJson,
  },
} as const;

export const materializationSchema = {
  type: "object",
  properties: {
    eventId: int,
    assetKey: str,
    partition: str,
    runId: str,
    timestamp: int,
    metadata: { type: "object", additionalProperties: true },
    codeVersion: str,
    dataVersion: str,
  },
} as const;

export const checkResultSchema = {
  type: "object",
  properties: {
    eventId: int,
    assetKey: str,
    checkName: str,
    partition: str,
    runId: str,
    timestamp: int,
    passed: bool,
    severity: str,
    blocking: bool,
    description: str,
    metadata: { type: "object", additionalProperties: true },
  },
} as const;

export const assetSchema = {
  type: "object",
  properties: {
    key: str,
    layer: str,
    group: nullable(str),
    description: nullable(str),
    status: str,
    automation: nullable(str),
    owners: { type: "array", items: str },
    tags: strMap,
    codeVersion: nullable(str),
    upstream: { type: "array", items: str },
    downstream: { type: "array", items: str },
    partitions: nullable({
      type: "object",
      properties: { kind: str, total: int, materialized: int, failed: int, inProgress: int, missing: int },
    }),
    checks: {
      type: "array",
      items: {
        type: "object",
        properties: {
          name: str,
          severity: str,
          blocking: bool,
          description: str,
          latest: nullable(checkResultSchema),
        },
      },
    },
    latestMaterialization: nullable(materializationSchema),
    latestRun: nullable(runSchema),
  },
} as const;

export const stepSchema = {
  type: "object",
  properties: {
    assetKey: str,
    assetKeys: { type: "array", items: str },
    partition: str,
    status: str,
    startedAt: int,
    endedAt: int,
    attempts: int,
  },
} as const;

export const tickSchema = {
  type: "object",
  properties: {
    id: int,
    kind: str,
    name: str,
    timestamp: int,
    status: str,
    runIds: { type: "array", items: str },
    skipReason: str,
    error: str,
    cursor: str,
  },
} as const;

export const backfillSchema = {
  type: "object",
  properties: {
    backfillId: str,
    status: str,
    selection: str,
    assetKeys: { type: "array", items: str },
    partitions: { type: "array", items: str },
    completed: { type: "array", items: str },
    failed: { type: "array", items: str },
    createdAt: int,
    endedAt: int,
  },
} as const;

export const instigatorSchema = {
  type: "object",
  properties: {
    kind: str,
    name: str,
    target: str,
    description: str,
    running: bool,
    intervalSeconds: { type: "number" },
    cron: str,
    timezone: str,
    ticks: { type: "array", items: tickSchema },
  },
} as const;

export const lineageSchema = {
  type: "object",
  properties: {
    width: { type: "number" },
    height: { type: "number" },
    layoutMs: { type: "number" },
    nodes: {
      type: "array",
      items: {
        type: "object",
        properties: {
          key: str,
          layer: str,
          group: nullable(str),
          rank: int,
          x: { type: "number" },
          y: { type: "number" },
        },
      },
    },
    edges: {
      type: "array",
      items: {
        type: "object",
        properties: {
          from: str,
          to: str,
          points: { type: "array", items: { type: "array", items: { type: "number" } } },
        },
      },
    },
  },
} as const;

/** Path and query pieces shared by routes. */
export const limitQuery = { type: "integer", minimum: 1, maximum: 1000 } as const;
export const runIdParams = {
  type: "object",
  required: ["runId"],
  additionalProperties: false,
  properties: { runId: { type: "string", pattern: "^[A-Za-z0-9-]{1,64}$" } },
} as const;
export const nameParams = {
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: { name: { type: "string", pattern: "^[a-z][a-z0-9_]{0,99}$" } },
} as const;
/** Partition keys and selections: printable, bounded. */
export const partitionKey = { type: "string", minLength: 1, maxLength: 100, pattern: "^[^\\s]+$" } as const;
export const selectionText = { type: "string", minLength: 1, maxLength: 2000 } as const;

/** One serializer for every client error (compiling one per status code slowed start-up). */
export const errorResponses = { "4xx": errorSchema, "5xx": errorSchema };
