import type { RejectionReason } from "../silver/transform/types.ts";
import type { Rng } from "./rng.ts";

/**
 * One injected bad line per call. Each starts from a clean row and breaks exactly one thing, the one
 * its reason names, so the row fails that rule and no earlier one (§3 step 4 order). Duplicates copy
 * a recent clean row: `duplicate_row` copies it verbatim (all 24 fields, Row ID included);
 * `duplicate_business_key` keeps (order_id, product_id) with a new Row ID and a corrected quantity,
 * so the older original is the one dropped. Either way each injection causes exactly one drop.
 */

const F = {
  rowId: 0,
  orderId: 1,
  orderDate: 2,
  shipDate: 3,
  customerName: 6,
  productId: 14,
  productName: 17,
  sales: 18,
  quantity: 19,
  discount: 20,
  profit: 21,
} as const;

/** RFC 4180 quoting, only where needed (as the source file does). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const line = (fields: readonly string[]): string => fields.map(csvField).join(",");

function choose<T>(r: Rng, items: readonly T[]): T {
  const v = items[r.int(items.length)];
  if (v === undefined) throw new Error("choose() needs items");
  return v;
}

function set(fields: string[], index: number, value: string): string[] {
  fields[index] = value;
  return fields;
}

/** `dd/mm/yyyy` → the same date minus `days`. */
function minusDays(date: string, days: number): string {
  const [dd, mm, yyyy] = date.split("/").map(Number);
  const d = new Date(Date.UTC(yyyy ?? 2012, (mm ?? 1) - 1, (dd ?? 1) - days));
  return `${String(d.getUTCDate()).padStart(2, "0")}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${d.getUTCFullYear()}`;
}

export function injectError(
  reason: RejectionReason,
  r: Rng,
  pool: readonly string[][],
  cleanRow: () => string[],
  nextRowId: () => number,
  quoteErrors = true,
): string {
  switch (reason) {
    case "missing_order_id":
      return line(set(cleanRow(), F.orderId, choose(r, ["", "   "])));
    case "missing_product_id":
      return line(set(cleanRow(), F.productId, choose(r, ["", " "])));
    case "invalid_sales":
      return line(set(cleanRow(), F.sales, choose(r, ["", "0", "-12.5", "abc", "NaN"])));
    case "invalid_quantity":
      return line(set(cleanRow(), F.quantity, choose(r, ["", "0", "-2", "2.5", "x"])));
    case "missing_date": {
      const f = cleanRow();
      // 31/02 does not exist; 2013/12/31 is not an accepted format; blanks are absent.
      if (r.next() < 0.5) return line(set(f, F.orderDate, choose(r, ["", "31/02/2013", "2013/12/31"])));
      return line(set(f, F.shipDate, choose(r, ["", "n/a", "12/31/2013"])));
    }
    case "date_violation": {
      const f = cleanRow();
      return line(set(f, F.shipDate, minusDays(f[F.orderDate] ?? "01/01/2012", 1 + r.int(5))));
    }
    case "invalid_discount":
      return line(set(cleanRow(), F.discount, choose(r, ["1.5", "-0.1", "2", "abc"])));
    case "malformed_row":
      return malformed(r, cleanRow(), quoteErrors);
    case "duplicate_row":
      return line(choose(r, pool));
    case "duplicate_business_key": {
      const f = [...choose(r, pool)];
      const q = Number(f[F.quantity]);
      const sales = Number(f[F.sales]);
      f[F.rowId] = String(nextRowId());
      f[F.quantity] = String(q + 1);
      f[F.sales] = String(Math.round(((sales * (q + 1)) / q) * 1000) / 1000);
      return line(f);
    }
  }
}

// Variants 2 and 3 break the quoting; 0, 1 and 4 keep it intact (see GenerateSalesCsvOptions.quoteErrors).
function malformed(r: Rng, f: string[], quoteErrors: boolean): string {
  switch (quoteErrors ? r.int(5) : ([0, 1, 4][r.int(3)] ?? 0)) {
    case 0: // one field too many
      return `${line(f)},EXTRA`;
    case 1: // one field too few
      return line(f.slice(0, -1));
    case 2: {
      // a quote inside an unquoted field
      const fields = f.map(csvField);
      fields[F.customerName] = `${(f[F.customerName] ?? "X").replace(/[",]/g, "")} "Jr" X`;
      return fields.join(",");
    }
    case 3: {
      // an opening quote that is never closed
      const fields = f.map(csvField);
      fields[F.productName] = `"${(f[F.productName] ?? "X").replace(/"/g, '""')}`;
      return fields.join(",");
    }
    default: // a profit that is not a number
      return line(set(f, F.profit, choose(r, ["n/a", "12.3.4", "--5"])));
  }
}
