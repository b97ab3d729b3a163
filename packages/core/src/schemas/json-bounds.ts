import type { FieldError } from "../errors.js";

/** How deep and how big a JSON input may be before anything recursive (zod, stringify, hashing) sees it. */
export interface JsonBounds {
  /** Nesting levels of objects and arrays; the top-level object is level 1. */
  maxDepth: number;
  /** Values (objects, arrays, primitives) in all. */
  maxNodes: number;
}

/** The bounds every request body and every service input is held to. */
export const defaultJsonBounds: JsonBounds = { maxDepth: 32, maxNodes: 10_000 };

const SHOWN_SEGMENTS = 4;

/** An object or array met by the walk: `parent` is its container's index, so a path is built only on error. */
interface Visited {
  value: object;
  depth: number;
  parent: number;
  key: string;
}

/**
 * The first thing wrong with the shape of `value`, as a field error naming where, else null: more than
 * `bounds.maxNodes` values, nesting deeper than `bounds.maxDepth` (named by the path's first segments),
 * or an own `__proto__` key anywhere (named by its whole path). JSON.parse makes such keys, and zod's
 * records skip them without an issue, so a map sent with one would be stored without that entry while
 * the caller got a 201: it is refused instead.
 *
 * All three in one walk, iterative and linear (each container links to its parent; no path is built
 * unless one is reported), so no input can exhaust the call stack or go quadratic here, and a body is
 * walked once however many rules it is held to.
 */
export function checkJsonBounds(
  value: unknown,
  bounds: JsonBounds = defaultJsonBounds,
  prefix: readonly string[] = [],
): FieldError | null {
  const tooMany = () => ({ path: pathText(prefix), message: `must hold at most ${bounds.maxNodes} values` });
  let nodes = 1;
  if (nodes > bounds.maxNodes) return tooMany();
  if (value === null || typeof value !== "object") return null;
  // Breadth first: the list of containers met is the work queue and the parent links at once.
  // Stryker disable next-line UnaryOperator,StringLiteral: the root's parent and key are never read (pathOf stops at index 0)
  const met: Visited[] = [{ value, depth: 1, parent: -1, key: "" }];
  if (bounds.maxDepth < 1) return tooDeep(met, 0, prefix, bounds);
  for (let at = 0; at < met.length; at++) {
    const { value: container, depth } = met[at] as Visited;
    if (Object.hasOwn(container, "__proto__")) {
      return {
        path: [...pathOf(met, at, prefix), "__proto__"].join("."),
        message: "is not an accepted name",
      };
    }
    const isArray = Array.isArray(container);
    const keys = isArray ? null : Object.keys(container);
    const count = keys === null ? (container as unknown[]).length : keys.length;
    nodes += count;
    if (nodes > bounds.maxNodes) return tooMany();
    for (let i = 0; i < count; i++) {
      const key = keys === null ? i : (keys[i] as string);
      const child = (container as Record<string | number, unknown>)[key];
      if (child === null || typeof child !== "object") continue;
      met.push({ value: child, depth: depth + 1, parent: at, key: String(key) });
      if (depth + 1 > bounds.maxDepth) return tooDeep(met, met.length - 1, prefix, bounds);
    }
  }
  return null;
}

function tooDeep(met: readonly Visited[], at: number, prefix: readonly string[], bounds: JsonBounds) {
  return {
    path: pathText(pathOf(met, at, prefix)),
    message: `must not nest deeper than ${bounds.maxDepth} levels`,
  };
}

/** The keys from the root to `met[at]`, after `prefix`. */
function pathOf(met: readonly Visited[], at: number, prefix: readonly string[]): string[] {
  const keys: string[] = [];
  for (let i = at; i > 0; i = (met[i] as Visited).parent) keys.push((met[i] as Visited).key);
  return [...prefix, ...keys.reverse()];
}

/** A path as reported for a bound: a deep path only needs to say where it starts. */
function pathText(path: readonly string[]): string {
  if (path.length === 0) return "body";
  return path.length >= SHOWN_SEGMENTS ? `${path.slice(0, SHOWN_SEGMENTS).join(".")}...` : path.join(".");
}
