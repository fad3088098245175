import { validateCron } from "./cron.ts";

/**
 * When the daemon should materialise an asset by itself. Evaluated on events (a materialisation
 * of an upstream asset, a cron tick), never by rescanning the whole graph.
 */
export type AutomationCondition =
  | { readonly kind: "eager" }
  | { readonly kind: "on_cron"; readonly cron: string; readonly timezone: string }
  | { readonly kind: "on_missing" };

/** Materialise when any upstream materialised and nothing upstream is missing or in progress. */
export function eager(): AutomationCondition {
  return { kind: "eager" };
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
