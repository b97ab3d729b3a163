import { invalid } from "@credkit/core";

/** A route of the table: method, OpenAPI-style path (`/clients/{clientId}`) and what serves it. */
export interface RouteEntry<T> {
  method: "get" | "post" | "put" | "delete";
  path: string;
  value: T;
}

/** What a path matched: the route's value, its decoded parameters and its Express-style pattern. */
export interface RouteMatch<T> {
  value: T;
  params: Record<string, string>;
  /** `/clients/:clientId/credentials`: for logs and metrics, which must not group by id. */
  pattern: string;
}

interface Compiled<T> {
  method: string;
  /** Per segment: its lower-cased literal, or null where a parameter goes. */
  literals: (string | null)[];
  /** Per segment: the name of its parameter, or null for a literal. */
  params: (string | null)[];
  pattern: string;
  value: T;
}

function decodeParam(name: string, raw: string): string {
  if (!raw.includes("%")) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalid([{ path: name, message: "is not valid percent-encoding" }]);
  }
}

/**
 * Compiles routes once into a matcher over a path relative to the mount point (no query string).
 * Matches as Express 5 does by default, so mounting the handler changes no URL: literal segments in any
 * case, one optional trailing slash, parameters of one non-empty segment, percent-decoded (a bad
 * escape is a 400 naming the parameter), HEAD served by the GET route.
 */
export function compileRoutes<T>(
  routes: readonly RouteEntry<T>[],
): (method: string | undefined, path: string) => RouteMatch<T> | null {
  // Routes by segment count: a request compares itself only with routes of its own length.
  const byLength = new Map<number, Compiled<T>[]>();
  for (const route of routes) {
    const parts = route.path.split("/").slice(1);
    const params = parts.map((part) => /^\{(\w+)\}$/.exec(part)?.[1] ?? null);
    const compiled: Compiled<T> = {
      method: route.method.toUpperCase(),
      literals: parts.map((part, i) => (params[i] === null ? part.toLowerCase() : null)),
      params,
      pattern: route.path.replace(/\{(\w+)\}/g, ":$1"),
      value: route.value,
    };
    const list = byLength.get(parts.length) ?? [];
    list.push(compiled);
    byLength.set(parts.length, list);
  }

  return (requestMethod, path) => {
    const method = requestMethod === "HEAD" ? "GET" : requestMethod;
    const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
    // parts[0] is what precedes the first slash: empty for a path, which starts with one.
    const parts = trimmed.split("/");
    if (parts[0] !== "") return null;
    const candidates = byLength.get(parts.length - 1);
    if (!candidates) return null;
    next: for (const route of candidates) {
      if (route.method !== method) continue;
      for (let i = 1; i < parts.length; i++) {
        const part = parts[i] as string;
        if (part === "") continue next;
        const literal = route.literals[i - 1];
        // A segment as written in the table costs no lower-cased copy; any other case still matches.
        if (literal != null && part !== literal && part.toLowerCase() !== literal) continue next;
      }
      const params: Record<string, string> = {};
      for (let i = 1; i < parts.length; i++) {
        const name = route.params[i - 1];
        if (name != null) params[name] = decodeParam(name, parts[i] as string);
      }
      return { value: route.value, params, pattern: route.pattern };
    }
    return null;
  };
}
