import { Container, inject as inversifyInject } from "inversify";
import { quote, StrataError } from "../errors.ts";
import type { Constructor, Resolve, ResourceBinding, Token } from "./token.ts";

/**
 * The only file that calls inversify, so a container API change touches one place. The rest of
 * Strata sees a `Scope`: resolve tokens and classes, open a child scope per run.
 */
export interface Scope {
  resolve: Resolve;
  construct<T>(cls: Constructor<T>): T;
  isBound(token: Token<unknown>): boolean;
  /** A child scope with extra bindings (the run context); parents' bindings stay visible. */
  child(bindings: readonly ResourceBinding[]): Scope;
}

/** Parameter decorator: `constructor(@inject(WAREHOUSE) warehouse: Warehouse)`. */
export function inject<T>(token: Token<T> | Constructor<T>): ParameterDecorator {
  const id = typeof token === "function" ? token : token.id;
  const decorator: ParameterDecorator = (target, key, index) => inversifyInject(id)(target, key, index);
  return decorator;
}

function applyBinding(container: Container, binding: ResourceBinding): void {
  const target = container.bind(binding.token.id);
  if ("value" in binding) target.toConstantValue(binding.value);
  else if ("factory" in binding) {
    target.toDynamicValue((context) => binding.factory((token) => context.get(token.id))).inSingletonScope();
  } else {
    const bound = target.to(binding.useClass);
    if (binding.scope === "transient") bound.inTransientScope();
    else bound.inSingletonScope();
  }
}

function missingBindingError(error: unknown, what: string): unknown {
  if (!(error instanceof Error) || !/No bindings found|No matching bindings/i.test(error.message))
    return error;
  const token =
    /service:\s*"?Symbol\((?:strata\.token\.)?([^)]*)\)/.exec(error.message)?.[1] ?? "unknown token";
  return new StrataError(
    "STRATA_ERR_MISSING_BINDING",
    `${what} needs resource ${quote(token)}, which is not bound.`,
    { token },
    { cause: error },
  );
}

class InversifyScope implements Scope {
  constructor(private readonly container: Container) {}

  resolve = <T>(token: Token<T>): T => {
    try {
      return this.container.get(token.id);
    } catch (error) {
      throw missingBindingError(error, `resolving ${quote(token.name)}`);
    }
  };

  construct<T>(cls: Constructor<T>): T {
    if (!this.container.isBound(cls)) this.container.bind(cls).toSelf().inTransientScope();
    try {
      return this.container.get(cls);
    } catch (error) {
      throw missingBindingError(error, `class ${quote(cls.name)}`);
    }
  }

  isBound(token: Token<unknown>): boolean {
    return this.container.isBound(token.id);
  }

  child(bindings: readonly ResourceBinding[]): Scope {
    const container = new Container({ parent: this.container });
    for (const binding of bindings) applyBinding(container, binding);
    return new InversifyScope(container);
  }
}

export function createScope(bindings: readonly ResourceBinding[]): Scope {
  const container = new Container();
  for (const binding of bindings) applyBinding(container, binding);
  return new InversifyScope(container);
}
