import type { FastifyInstance } from "fastify";
import { isRunning, setRunning } from "../../engine/daemon/instigator-state.ts";
import { quote, type Workspace } from "../../engine/index.ts";
import { notFound } from "../errors.ts";
import { errorResponses, instigatorSchema, limitQuery, nameParams } from "../schemas.ts";

type Kind = "sensor" | "schedule";

/** A sensor or schedule with its on/off state and newest ticks, as the API and the page show it. */
export async function instigatorView(workspace: Workspace, kind: Kind, name: string, ticks = 20) {
  const { sensors, schedules } = workspace.definitions;
  const sensor = kind === "sensor" ? sensors.find((s) => s.name === name) : undefined;
  const schedule = kind === "schedule" ? schedules.find((s) => s.name === name) : undefined;
  const definition = sensor ?? schedule;
  if (!definition) throw notFound(`${kind} ${quote(name)}`);
  return {
    kind,
    name,
    target: definition.target,
    running: await isRunning(workspace.storage, kind, name, definition.defaultRunning),
    ...(definition.description !== undefined && { description: definition.description }),
    ...(sensor && { intervalSeconds: sensor.intervalSeconds }),
    ...(schedule && { cron: schedule.cron, timezone: schedule.timezone }),
    ticks: await workspace.storage.listTicks(kind, name, ticks),
  };
}

/** Sensors and schedules: list with tick history, one with more history, start and stop. */
export function instigatorRoutes(app: FastifyInstance, workspace: Workspace): void {
  for (const kind of ["sensor", "schedule"] as const) {
    const plural = `${kind}s`;
    const names = () =>
      (kind === "sensor" ? workspace.definitions.sensors : workspace.definitions.schedules).map(
        (d) => d.name,
      );

    app.get(
      `/api/${plural}`,
      {
        schema: {
          response: {
            200: { type: "object", properties: { [plural]: { type: "array", items: instigatorSchema } } },
            ...errorResponses,
          },
        },
      },
      async () => {
        const views = [];
        for (const name of names()) views.push(await instigatorView(workspace, kind, name));
        return { [plural]: views };
      },
    );

    app.get<{ Params: { name: string }; Querystring: { limit?: number } }>(
      `/api/${plural}/:name`,
      {
        schema: {
          params: nameParams,
          querystring: { type: "object", additionalProperties: false, properties: { limit: limitQuery } },
          response: { 200: instigatorSchema, ...errorResponses },
        },
      },
      async (request) => instigatorView(workspace, kind, request.params.name, request.query.limit ?? 100),
    );

    for (const action of ["start", "stop"] as const) {
      app.post<{ Params: { name: string } }>(
        `/api/${plural}/:name/${action}`,
        { schema: { params: nameParams, response: { 200: instigatorSchema, ...errorResponses } } },
        async (request) => {
          const { name } = request.params;
          if (!names().includes(name)) throw notFound(`${kind} ${quote(name)}`);
          await setRunning(workspace.storage, kind, name, action === "start");
          return instigatorView(workspace, kind, name);
        },
      );
    }
  }
}
