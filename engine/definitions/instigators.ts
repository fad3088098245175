import type { Resolve, Token } from "../di/token.ts";
import { quote, StrataError } from "../errors.ts";
import type { RunLogger } from "./context.ts";
import { validateCron } from "./cron.ts";

/** What a sensor or schedule asks the daemon to run. */
export interface RunRequest {
  /** Deduplicates: a run key already used by this sensor/schedule is never run again. */
  readonly runKey?: string;
  readonly partition?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** Overrides the instigator's target selection for this run. */
  readonly selection?: string;
}

export interface SensorContext {
  readonly sensorName: string;
  /** The cursor committed by the previous tick (undefined on the first). */
  readonly cursor: string | undefined;
  readonly lastTickAt: number | undefined;
  readonly log: RunLogger;
  readonly signal: AbortSignal;
  now(): number;
}

export interface SensorResult {
  readonly runRequests: readonly RunRequest[];
  /** The new cursor: committed in the same transaction as the runs it requests. */
  readonly cursor?: string;
  /** Why nothing was requested, shown in the tick history. */
  readonly skipReason?: string;
}

export interface SensorDefinition {
  readonly kind: "sensor";
  readonly name: string;
  /** Asset selection the sensor's runs materialise. */
  readonly target: string;
  readonly intervalSeconds: number;
  readonly description?: string;
  /** Off until started from the CLI/UI when false. */
  readonly defaultRunning: boolean;
  readonly inject: readonly Token<unknown>[];
  evaluate(ctx: SensorContext, resolve: Resolve): SensorResult | Promise<SensorResult>;
}

export interface ScheduleDefinition {
  readonly kind: "schedule";
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly target: string;
  readonly description?: string;
  readonly defaultRunning: boolean;
  /** For partitioned targets: run the partition that just closed at the tick (default true). */
  readonly targetClosedPartition: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

const NAME = /^[a-z][a-z0-9_]*$/;

function checkName(name: string, what: string): void {
  if (!NAME.test(name)) {
    throw new StrataError("STRATA_ERR_INVALID_OPTION", `${what} name ${quote(name)} must be snake_case.`);
  }
}

export function defineSensor(options: {
  name: string;
  target: string;
  intervalSeconds?: number;
  description?: string;
  defaultRunning?: boolean;
  inject?: readonly Token<unknown>[];
  evaluate: SensorDefinition["evaluate"];
}): SensorDefinition {
  checkName(options.name, "sensor");
  const intervalSeconds = options.intervalSeconds ?? 30;
  if (!(intervalSeconds > 0)) {
    throw new StrataError(
      "STRATA_ERR_INVALID_OPTION",
      `sensor ${quote(options.name)} intervalSeconds must be > 0.`,
    );
  }
  return {
    kind: "sensor",
    name: options.name,
    target: options.target,
    intervalSeconds,
    defaultRunning: options.defaultRunning ?? true,
    inject: options.inject ?? [],
    evaluate: options.evaluate,
    ...(options.description !== undefined && { description: options.description }),
  };
}

export function defineSchedule(options: {
  name: string;
  cron: string;
  timezone?: string;
  target: string;
  description?: string;
  defaultRunning?: boolean;
  targetClosedPartition?: boolean;
  tags?: Readonly<Record<string, string>>;
}): ScheduleDefinition {
  checkName(options.name, "schedule");
  const timezone = options.timezone ?? "UTC";
  validateCron(options.cron, timezone, `schedule ${quote(options.name)}`);
  return {
    kind: "schedule",
    name: options.name,
    cron: options.cron,
    timezone,
    target: options.target,
    defaultRunning: options.defaultRunning ?? true,
    targetClosedPartition: options.targetClosedPartition ?? true,
    tags: options.tags ?? {},
    ...(options.description !== undefined && { description: options.description }),
  };
}
