import cron from "node-cron";
import { quote, StrataError } from "../errors.ts";

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

export function validateCron(expression: string, timezone: string, where: string): void {
  if (expression.trim().split(/\s+/).length !== 5 || !cron.validate(expression)) {
    throw new StrataError(
      "STRATA_ERR_INVALID_CRON",
      `${where}: cron expression ${quote(expression)} is not valid.`,
    );
  }
  if (!isValidTimezone(timezone)) {
    throw new StrataError(
      "STRATA_ERR_INVALID_CRON",
      `${where}: timezone ${quote(timezone)} is not an IANA timezone.`,
    );
  }
}

const MINUTE = 60_000;
/** Bound on the catch-up scan, so a daemon that was down for a year does not spin. */
const MAX_SCAN_MINUTES = 7 * 24 * 60;

/**
 * The cron ticks in (after, upTo], in order, using node-cron's matcher in the given timezone. The
 * daemon drives this from its (injectable) clock rather than node-cron's timers, so ticks missed
 * while the daemon was down are caught up and tests can step time.
 */
export function cronTicksBetween(
  expression: string,
  timezone: string,
  after: number,
  upTo: number,
): number[] {
  const task = cron.createTask(expression, () => undefined, { timezone });
  try {
    const ticks: number[] = [];
    const first = Math.max(Math.floor(after / MINUTE) + 1, Math.floor(upTo / MINUTE) - MAX_SCAN_MINUTES);
    for (let minute = first; minute * MINUTE <= upTo; minute++) {
      if (task.match(new Date(minute * MINUTE))) ticks.push(minute * MINUTE);
    }
    return ticks;
  } finally {
    void task.destroy();
  }
}
