import type { Resolve, Token } from "../di/token.ts";
import type { CheckSeverity } from "../storage/records.ts";
import type { AssetKey } from "./asset-key.ts";
import type { AssetContext } from "./context.ts";
import type { MetadataInput } from "./metadata.ts";

export interface CheckOutcome {
  readonly passed: boolean;
  readonly description?: string;
  readonly metadata?: MetadataInput;
}

/**
 * A data-quality assertion on an asset, evaluated right after the asset materialises, with the
 * value it produced. `severity: "error"` with `blocking: true` stops everything downstream.
 */
export interface CheckDefinition {
  readonly kind: "check";
  readonly asset: AssetKey;
  readonly name: string;
  readonly severity: CheckSeverity;
  readonly blocking: boolean;
  readonly description?: string;
  /** Resources the check resolves; checked when definitions load. */
  readonly inject: readonly Token<unknown>[];
  evaluate(ctx: AssetContext, value: unknown, resolve: Resolve): CheckOutcome | Promise<CheckOutcome>;
}

export type AnyCheckDefinition = CheckDefinition;
