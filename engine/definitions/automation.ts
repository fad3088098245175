import { quote, StrataError } from "../errors.ts";
import { validateCron } from "./cron.ts";

/**
 * When the daemon should materialise an asset by itself. Evaluated on events (a materialisation
 * of an upstream asset, a cron tick), never by rescanning the whole graph.
 */
export type AutomationCondition =
  | { readonly kind: "eager"; readonly maxWaitMs?: number }
  | { readonly kind: "on_cron"; readonly cron: string; readonly timezone: string }
  | { readonly kind: "on_missing" };

/**
 * Materialise when any upstream materialised and nothing upstream is missing or in progress.
 * `maxWaitSeconds` bounds how long upstream runs in progress may hold it back: under a steady
 * stream of upstream runs it would otherwise never run. Past the bound it runs on the data present;
 * the upstream runs still in flight trigger it again when they materialise.
 */
export function eager(options: { readonly maxWaitSeconds?: number } = {}): AutomationCondition {
  const { maxWaitSeconds } = options;
  if (maxWaitSeconds === undefined) return { kind: "eager" };
  if (!Number.isFinite(maxWaitSeconds) || maxWaitSeconds < 0) {
    throw new StrataError(
      "STRATA_ERR_INVALID_OPTION",
      `eager() got maxWaitSeconds ${quote(maxWaitSeconds)}; it must be a number of seconds ≥ 0.`,
    );
  }
  return { kind: "eager", maxWaitMs: maxWaitSeconds * 1000 };
}

/** Materialise once per cron tick, after every upstream has updated since the previous tick. */
export function onCron(cron: string, timezone = "UTC"): AutomationCondition {
  validateCron(cron, timezone, "onCron()");
  return { kind: "on_cron", cron, timezone };
}

/** Materialise when the asset (or a partition of it) has never been materialised. */
export function onMissing(): AutomationCondition {
  return { kind: "on_missing" };
}
