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
  /** Lower-cased literal, or the name of a parameter. */
  segments: ({ literal: string } | { param: string })[];
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
    const compiled: Compiled<T> = {
      method: route.method.toUpperCase(),
      segments: parts.map((part) => {
        const param = /^\{(\w+)\}$/.exec(part)?.[1];
        return param === undefined ? { literal: part.toLowerCase() } : { param };
      }),
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
    const parts = trimmed.split("/");
    if (parts[0] !== "") return null;
    parts.shift();
    const candidates = byLength.get(parts.length);
    if (!candidates) return null;
    next: for (const route of candidates) {
      if (route.method !== method) continue;
      for (let i = 0; i < parts.length; i++) {
        const segment = route.segments[i];
        const part = parts[i] as string;
        if (segment === undefined || part === "") continue next;
        if ("literal" in segment && part.toLowerCase() !== segment.literal) continue next;
      }
      const params: Record<string, string> = {};
      for (let i = 0; i < parts.length; i++) {
        const segment = route.segments[i];
        if (segment && "param" in segment)
          params[segment.param] = decodeParam(segment.param, parts[i] as string);
      }
      return { value: route.value, params, pattern: route.pattern };
    }
    return null;
  };
}
