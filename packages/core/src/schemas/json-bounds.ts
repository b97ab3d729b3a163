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

/**
 * The first place `value` goes past `bounds`, as a field error naming where (the path's first segments),
 * else null. Walks iteratively with an explicit stack, so no input can exhaust the call stack here.
 */
export function checkJsonBounds(
  value: unknown,
  bounds: JsonBounds = defaultJsonBounds,
  prefix: readonly string[] = [],
): FieldError | null {
  const stack: { value: unknown; depth: number; path: readonly string[] }[] = [
    { value, depth: 0, path: prefix },
  ];
  let nodes = 0;
  while (stack.length > 0) {
    const item = stack.pop() as (typeof stack)[number];
    if (++nodes > bounds.maxNodes) {
      return { path: pathText(prefix), message: `must hold at most ${bounds.maxNodes} values` };
    }
    if (item.value === null || typeof item.value !== "object") continue;
    const depth = item.depth + 1;
    if (depth > bounds.maxDepth) {
      return { path: pathText(item.path), message: `must not nest deeper than ${bounds.maxDepth} levels` };
    }
    const entries = Array.isArray(item.value)
      ? item.value.map((v, i) => [String(i), v] as const)
      : Object.entries(item.value as Record<string, unknown>);
    for (const [key, child] of entries) {
      // Paths are kept short: a deep path only needs to say where it starts.
      const path = item.path.length < SHOWN_SEGMENTS ? [...item.path, key] : item.path;
      stack.push({ value: child, depth, path });
    }
  }
  return null;
}

function pathText(path: readonly string[]): string {
  if (path.length === 0) return "body";
  return path.length >= SHOWN_SEGMENTS ? `${path.join(".")}...` : path.join(".");
}
