import type { Newable } from "inversify";

/**
 * A typed dependency-injection token: the symbol inversify resolves, plus the type it yields, so
 * `resolve(token)` and `inject: { x: TOKEN }` maps need no casts.
 */
export class Token<T> {
  readonly id: symbol;
  declare readonly type: T;

  constructor(readonly name: string) {
    this.id = Symbol.for(`strata.token.${name}`);
  }

  toString(): string {
    return this.name;
  }
}

export function token<T>(name: string): Token<T> {
  return new Token<T>(name);
}

/** A class the container can construct (its constructor parameters carry @inject). */
export type Constructor<T = unknown> = Newable<T>;

export type ResourceBinding =
  | { readonly token: Token<unknown>; readonly value: unknown }
  | {
      readonly token: Token<unknown>;
      readonly useClass: Constructor;
      readonly scope?: "singleton" | "transient";
    }
  | { readonly token: Token<unknown>; readonly factory: (resolve: Resolve) => unknown };

export type Resolve = <T>(token: Token<T>) => T;

/** Bind a token to a value, class or factory; the type parameter ties the implementation to the token. */
export const bind = {
  value: <T>(token: Token<T>, value: T): ResourceBinding => ({ token, value }),
  toClass: <T>(
    token: Token<T>,
    useClass: Constructor<T>,
    scope: "singleton" | "transient" = "singleton",
  ): ResourceBinding => ({
    token,
    useClass,
    scope,
  }),
  factory: <T>(token: Token<T>, factory: (resolve: Resolve) => T): ResourceBinding => ({ token, factory }),
};
