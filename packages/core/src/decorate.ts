/** The names of `T`'s methods. */
export type MethodName<T> = {
  [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? K : never;
}[keyof T] &
  string;

/** A method of `T` as a function type. */
type MethodOf<T, K extends MethodName<T>> = T[K] extends (...args: infer A) => infer R
  ? (...args: A) => R
  : never;

/**
 * What a decorator does around one call: `invoke(args)` runs the wrapped method with exactly the
 * arguments it is given; the result of `around` is the call's result.
 */
export type Around<T> = <K extends MethodName<T>>(
  method: K,
  args: Parameters<MethodOf<T, K>>,
  invoke: (args: Parameters<MethodOf<T, K>>) => ReturnType<MethodOf<T, K>>,
) => ReturnType<MethodOf<T, K>>;

/**
 * A copy of `target` whose every method runs through `around`, with every argument forwarded as an
 * array: a decorator built on it cannot drop a method or an argument, and a method or parameter added
 * to the interface later flows through untouched. Non-function properties (`name`, `regions`) are
 * copied, symbol-keyed ones too (a store's mark that its rules hold stays with it). Each method is wrapped once, up front (a Proxy would build a closure on every call).
 */
export function decorate<T extends object>(target: T, around: Around<T>): T {
  const decorated: Record<string, unknown> = {};
  const seen = new Set<string>();
  // Own properties first, then a class's prototype methods (a store may be a class instance).
  for (let source: object | null = target; source && source !== Object.prototype; ) {
    for (const key of Object.getOwnPropertyNames(source)) {
      if (key === "constructor" || seen.has(key)) continue;
      seen.add(key);
      const value = (target as Record<string, unknown>)[key];
      if (typeof value !== "function") {
        decorated[key] = value;
        continue;
      }
      const method = value as (...args: unknown[]) => unknown;
      const invoke = (args: unknown[]) => method.apply(target, args);
      const wrap = around as unknown as (name: string, args: unknown[], call: typeof invoke) => unknown;
      decorated[key] = (...args: unknown[]) => wrap(key, args, invoke);
    }
    source = Object.getPrototypeOf(source) as object | null;
  }
  for (const key of Object.getOwnPropertySymbols(target))
    (decorated as Record<symbol, unknown>)[key] = (target as Record<symbol, unknown>)[key];
  return decorated as T;
}
