import type { Newable } from "inversify";
import type { AssetKey } from "./asset-key.ts";
import type { AssetContext } from "./context.ts";

/**
 * Type-level plumbing for typed inputs: the value a downstream asset receives is inferred from the
 * upstream's `materialize` return type, and a mismatch is a compile error carrying a readable
 * message (`AssetTypeError<"...">`), in the manner of Kysely's type errors.
 */

/**
 * Anything with a materialize method: what @asset decorates. Declared as a method so parameter
 * bivariance lets a class take its precise inputs type; ValidateInputs checks that type instead.
 */
export interface Materializer {
  materialize(ctx: AssetContext, inputs: object): unknown;
}

export type AssetClass = Newable<Materializer>;

/** The value an asset class produces. */
export type OutputOf<C> =
  C extends Newable<infer I>
    ? I extends { materialize(...args: never[]): infer R }
      ? Awaited<R>
      : never
    : never;

/** A reference to an upstream value: a whole asset, one output of a multi-asset, or all partitions. */
export interface InputRef<T> {
  readonly kind: "input";
  readonly source: AssetClass;
  readonly outputKey?: AssetKey;
  readonly partitions: "identity" | "all";
  /** Phantom: carries the value type; never set at run time. */
  readonly valueType?: T;
}

export type InputSource = AssetClass | InputRef<unknown>;
export type InsMap = Readonly<Record<string, InputSource>>;
export type NoInputs = Readonly<Record<never, never>>;

export type ValueOf<S> = S extends InputRef<infer T> ? T : S extends AssetClass ? OutputOf<S> : never;

/** The `inputs` object materialize() receives for a given `ins` map. */
export type InputsOf<Ins extends InsMap> = { readonly [K in keyof Ins]: ValueOf<Ins[K]> };

export interface AssetTypeError<Message extends string> {
  readonly "asset type error": Message;
}

type DeclaredInputs<C> =
  C extends Newable<infer I>
    ? I extends { materialize(ctx: never, inputs: infer P): unknown }
      ? P
      : never
    : never;

type MissingInputs<P, Ins> = Exclude<keyof P & string, keyof Ins>;

type WrongInputs<P, Ins extends InsMap> = {
  [K in keyof P & keyof Ins & string]: [ValueOf<Ins[K]>] extends [P[K]] ? never : K;
}[keyof P & keyof Ins & string];

/** `unknown` when materialize()'s inputs match `ins`, else an AssetTypeError naming the input. */
export type ValidateInputs<C, Ins extends InsMap> =
  unknown extends DeclaredInputs<C>
    ? unknown
    : [MissingInputs<DeclaredInputs<C>, Ins>] extends [never]
      ? [WrongInputs<DeclaredInputs<C>, Ins>] extends [never]
        ? unknown
        : AssetTypeError<`input "${WrongInputs<DeclaredInputs<C>, Ins>}" of materialize() does not accept the value its upstream asset produces`>
      : AssetTypeError<`materialize() reads input "${MissingInputs<DeclaredInputs<C>, Ins>}" but ins does not declare it`>;

/** `unknown` when materialize() returns a value for every declared output key. */
export type ValidateOutputs<C, Outs> = [Exclude<keyof Outs & string, keyof OutputOf<C>>] extends [never]
  ? unknown
  : AssetTypeError<`materialize() must return a value for output "${Exclude<keyof Outs & string, keyof OutputOf<C>>}"`>;
