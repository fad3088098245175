import { describe, expectTypeOf, test } from "vitest";
import { asset, multiAsset, output } from "./asset.ts";
import type { AssetTypeError, InputsOf, ValidateInputs } from "./asset-types.ts";
import type { AssetContext } from "./context.ts";

@asset({ key: "bronze/orders" })
class Orders {
  async materialize(): Promise<{ rows: number; path: string }> {
    return { rows: 3, path: "x" };
  }
}

@asset({ key: "bronze/prices" })
class Prices {
  materialize(): readonly number[] {
    return [1, 2];
  }
}

@multiAsset({ outs: { "silver/sales": {}, "silver/sales_quarantine": {} } })
class SilverSales {
  async materialize(): Promise<{
    "silver/sales": { inserted: number };
    "silver/sales_quarantine": { rejected: number };
  }> {
    return { "silver/sales": { inserted: 1 }, "silver/sales_quarantine": { rejected: 0 } };
  }
}

describe("typed asset inputs", () => {
  test("inputs are inferred from upstream return types", () => {
    @asset({
      key: "silver/enriched",
      ins: { orders: Orders, prices: Prices, sales: output(SilverSales, "silver/sales") },
    })
    class Enriched {
      materialize(
        _ctx: AssetContext,
        inputs: {
          orders: { rows: number; path: string };
          prices: readonly number[];
          sales: { inserted: number };
        },
      ): number {
        return inputs.orders.rows + inputs.prices.length + inputs.sales.inserted;
      }
    }
    expectTypeOf<InputsOf<{ orders: typeof Orders }>>().toEqualTypeOf<{
      readonly orders: { rows: number; path: string };
    }>();
    expectTypeOf(Enriched).toBeConstructibleWith();
  });

  test("a wrong input type does not compile, with a readable message", () => {
    class WrongType {
      materialize(_ctx: AssetContext, inputs: { orders: string }): string {
        return inputs.orders;
      }
    }
    expectTypeOf<ValidateInputs<typeof WrongType, { orders: typeof Orders }>>().toEqualTypeOf<
      AssetTypeError<'input "orders" of materialize() does not accept the value its upstream asset produces'>
    >();
    // @ts-expect-error: orders is { rows, path }, not string
    @asset({ key: "silver/wrong_type", ins: { orders: Orders } })
    class WrongTypeAsset {
      materialize(_ctx: AssetContext, inputs: { orders: string }): string {
        return inputs.orders;
      }
    }
    expectTypeOf(WrongTypeAsset).toBeConstructibleWith();
  });

  test("a missing input does not compile, with a readable message", () => {
    class Missing {
      materialize(_ctx: AssetContext, inputs: { orders: { rows: number }; customers: string[] }): number {
        return inputs.orders.rows + inputs.customers.length;
      }
    }
    expectTypeOf<ValidateInputs<typeof Missing, { orders: typeof Orders }>>().toEqualTypeOf<
      AssetTypeError<'materialize() reads input "customers" but ins does not declare it'>
    >();
    // @ts-expect-error: customers is not declared in ins
    @asset({ key: "silver/missing", ins: { orders: Orders } })
    class MissingAsset {
      materialize(_ctx: AssetContext, inputs: { orders: { rows: number }; customers: string[] }): number {
        return inputs.orders.rows + inputs.customers.length;
      }
    }
    expectTypeOf(MissingAsset).toBeConstructibleWith();
  });

  test("a multi-asset must return every declared output, and output() names only real outputs", () => {
    // @ts-expect-error: silver/b is declared but not returned
    @multiAsset({ outs: { "silver/a": {}, "silver/b": {} } })
    class Incomplete {
      materialize(): { "silver/a": number } {
        return { "silver/a": 1 };
      }
    }
    expectTypeOf(Incomplete).toBeConstructibleWith();
    // @ts-expect-error: silver/nope is not an output of SilverSales
    output(SilverSales, "silver/nope");
  });
});
