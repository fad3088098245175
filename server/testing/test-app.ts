/**
 * The server over a small workspace for API tests: the engine's test graph (diamond, daily
 * partitions, failing and slow assets, checks) plus a sensor and a schedule, in a temporary
 * state dir. `app.inject()` only: nothing listens.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { openWorkspace } from "../../engine/cli/workspace.ts";
import { PROBE, Probe, testAssets, testChecks } from "../../engine/execution/test-graph.ts";
import { bind, defineDefinitions, defineSchedule, defineSensor, type Workspace } from "../../engine/index.ts";
import { buildApp } from "../app.ts";

export const TEST_TOKEN = "test-token-0123456789abcdef";

export interface TestApp {
  readonly app: FastifyInstance;
  readonly workspace: Workspace;
  readonly probe: Probe;
  readonly logs: string[];
  /** Inject with the bearer token. */
  post(url: string, payload?: object): Promise<LightMyRequestResponse>;
  waitForRun(runId: string): Promise<{ status: string }>;
  close(): Promise<void>;
}

export async function openTestApp(): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), "strata-server-"));
  const probe = new Probe();
  const definitions = defineDefinitions({
    assets: testAssets,
    checks: testChecks,
    resources: [bind.value(PROBE, probe)],
    sensors: [
      defineSensor({
        name: "nothing_new",
        target: "diamond/top",
        intervalSeconds: 30,
        description: "never finds anything",
        evaluate: () => ({ runRequests: [], skipReason: "no new files" }),
      }),
    ],
    schedules: [
      defineSchedule({ name: "nightly", cron: "0 2 * * *", target: "parts/raw", defaultRunning: false }),
    ],
  });
  const workspace = await openWorkspace({ definitions }, { stateDir: join(dir, ".strata") });
  const logs: string[] = [];
  const app = buildApp(workspace, { token: TEST_TOKEN, pollMs: 50, log: (line) => logs.push(line) });
  await app.ready();
  return {
    app,
    workspace,
    probe,
    logs,
    post: (url, payload) =>
      app.inject({
        method: "POST",
        url,
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
        ...(payload !== undefined && { payload }),
      }),
    async waitForRun(runId) {
      for (let i = 0; i < 400; i++) {
        const run = await workspace.storage.getRun(runId);
        if (run && ["success", "failure", "canceled"].includes(run.status)) return run;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`run ${runId} did not finish`);
    },
    async close() {
      await app.close();
      await workspace.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
