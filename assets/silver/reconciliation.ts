import type { InlineCheck } from "../../engine/index.ts";

function isSilverResult(value: unknown): value is Record<string, number> {
  return (
    typeof value === "object" &&
    value !== null &&
    ["rowsRead", "inserted", "updated", "unchanged", "quarantined"].every((k) => k in value)
  );
}

/**
 * PIPELINE §3.10: rows read from Bronze = inserted + updated + unchanged + quarantined. Blocking:
 * a Silver run that does not reconcile triggers nothing downstream (fix of the reference, which
 * reported success and fired the downstream trigger).
 */
export const reconciliationCheck: InlineCheck = {
  name: "reconciliation",
  severity: "error",
  blocking: true,
  description: "rows read from Bronze = inserted + updated + unchanged + quarantined",
  evaluate: (_ctx, value) => {
    const sales =
      typeof value === "object" && value !== null && "silver/sales" in value ? value["silver/sales"] : value;
    if (!isSilverResult(sales)) return { passed: false, description: "the Silver step returned no counts" };
    const accounted =
      (sales.inserted ?? 0) + (sales.updated ?? 0) + (sales.unchanged ?? 0) + (sales.quarantined ?? 0);
    return {
      passed: accounted === sales.rowsRead,
      description: `${sales.rowsRead} read = ${sales.inserted} inserted + ${sales.updated} updated + ${sales.unchanged} unchanged + ${sales.quarantined} quarantined`,
      metadata: { rows_read: sales.rowsRead ?? 0, accounted },
    };
  },
};
