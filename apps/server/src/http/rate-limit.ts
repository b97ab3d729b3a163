import { isIPv6 } from "node:net";
import { CredkitError, storageUnavailable } from "@credkit/core";
import { type Authenticate, type AuthenticatedActor, sendError, tokenFromHeader } from "@credkit/express";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";
import { apiRoutePattern } from "./request-context.js";
import type { SharedCounter } from "./shared-counter.js";

/** The limits, per minute; 0 turns one off. */
export interface RateLimits {
  /** Management API requests per authenticated caller (token). */
  perMinute: number;
  /** Data-plane requests (`/verify`, `/resolve`, `/invalidate`) per authenticated caller. */
  dataPlanePerMinute: number;
  /** Requests that fail authentication, per source address (IPv6: per /64). */
  authFailuresPerMinute: number;
  /** Requests to the token-less routes (OAuth callback, docs, OpenAPI), per source address and route. */
  publicPerMinute: number;
}

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  limits: RateLimits;
  /** Counts callers and failed authentications: shared through Redis when the deployment has it. */
  counter: SharedCounter;
  /** Counts the token-less routes, in this process: they must work whatever the shared backend does. */
  publicCounter: SharedCounter;
  /** Who is calling; the same authenticator the router uses. */
  authenticate: Authenticate;
  /** A keyed hash of a bucket name: the same in every process sharing the counter, never the token. */
  keyOf: (bucket: string) => string;
  logger: Logger;
  /** Told when the shared counter fails (counted as a store error); the request is answered 503. */
  onBackendError?: (error: unknown) => void;
}

type RouteClass = "public" | "dataPlane" | "management";

/** True for an answer of `authenticate` still to come (a promise, or any thenable). */
function isPending(answer: ReturnType<Authenticate>): answer is Promise<AuthenticatedActor | null> {
  return typeof (answer as { then?: unknown } | null)?.then === "function";
}

/** What one request is counted against: a bucket of a counter, and its limit per minute. */
interface Hit {
  counter: SharedCounter;
  bucket: string;
  limit: number;
}

const PUBLIC = /^\/(oauth2\/callback|docs|openapi\.json)\/?$/;
const DATA_PLANE = /^\/clients\/[^/]+\/(verify|credentials\/[^/]+\/(resolve|invalidate))\/?$/;

/** Which limit a request (its method, its path relative to the API's mount point) falls under. */
export function routeClass(method: string, path: string): RouteClass {
  if (PUBLIC.test(path)) return "public";
  return method === "POST" && DATA_PLANE.test(path) ? "dataPlane" : "management";
}

/**
 * The path of a path-form request target, as Express's `req.path` reads it (up to `?` or `#`), without
 * parsing the URL again: the mount changed `req.url`, so `req.path` would parse it once more per request.
 */
export function pathOf(url: string): string {
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) return url.slice(0, i);
  }
  return url;
}

/**
 * The source address a limit counts by: the address Express derives with the `trust proxy` setting
 * (the socket's peer unless it is a configured trusted proxy, never a blind `X-Forwarded-For`), IPv6
 * folded to its /64 so one host cannot spread itself over 2^64 buckets.
 */
export function sourceAddress(req: Request): string {
  const address = (req.ip ?? req.socket.remoteAddress ?? "unknown").replace(/^::ffff:(?=\d+\.)/, "");
  if (!isIPv6(address)) return address;
  const [head = "", tail = ""] = address.split("::");
  const groups = [...head.split(":").filter(Boolean)];
  const rest = tail.split(":").filter(Boolean);
  while (groups.length + rest.length < 8) groups.push("0");
  return `${[...groups, ...rest].slice(0, 4).join(":")}::/64`;
}

/**
 * Rate limiting that an unauthenticated flood cannot turn against anyone else. A request that fails
 * authentication counts against its source address (429 `RATE_LIMITED` once over, before any other
 * work or audit line); an authenticated one against its caller, the management API and the data plane
 * in separate buckets; the OAuth callback and docs against their own per-address, per-route buckets in
 * this process. Buckets are keyed hashes, never tokens. A failing shared counter answers 503
 * `STORAGE_UNAVAILABLE` with `Retry-After`, like every other Redis use.
 */
export function rateLimit(options: RateLimitOptions): RequestHandler {
  const windowMs = 60_000;
  const { limits } = options;

  /** The count a request is held to, or null when no limit applies to it (its class's limit is off). */
  function hitOf(req: Request, path: string, kind: RouteClass, actor: AuthenticatedActor | null): Hit | null {
    if (kind === "public") {
      if (limits.publicPerMinute <= 0) return null;
      const bucket = `public\n${path}\n${sourceAddress(req)}`;
      return { counter: options.publicCounter, bucket, limit: limits.publicPerMinute };
    }
    if (!actor) {
      if (limits.authFailuresPerMinute <= 0) return null;
      const bucket = `auth-failure\n${sourceAddress(req)}`;
      return { counter: options.counter, bucket, limit: limits.authFailuresPerMinute };
    }
    const perMinute = kind === "dataPlane" ? limits.dataPlanePerMinute : limits.perMinute;
    if (perMinute <= 0) return null;
    // Authenticated, so the token is one of the configured ones: raw or `Bearer`, one caller.
    const bucket = `${kind}\n${tokenFromHeader(req.headers.authorization)}`;
    return { counter: options.counter, bucket, limit: perMinute };
  }

  /** True when the request was answered (429), else false: the limit's headers are set either way. */
  async function over(res: Response, { counter, bucket, limit }: Hit): Promise<boolean> {
    const { count, resetMs } = await counter.hit(options.keyOf(bucket), windowMs);
    // The request timeout may have answered while the counter was slow: nothing more to say.
    if (res.headersSent) return true;
    res.setHeader("RateLimit-Limit", String(limit));
    res.setHeader("RateLimit-Remaining", String(Math.max(0, limit - count)));
    if (count <= limit) return false;
    const retryAfterSeconds = Math.max(1, Math.ceil(resetMs / 1000));
    sendError(res, new CredkitError("RATE_LIMITED", "Too many requests; retry later", { retryAfterSeconds }));
    return true;
  }

  function failed(req: Request, res: Response, path: string, error: unknown): void {
    options.logger.warn({ err: error }, "rate limiter backend unavailable");
    options.onBackendError?.(error);
    // Answered before routing: name the route the request was for, not `unmatched`.
    res.locals.route = apiRoutePattern(req.baseUrl, path);
    // Answering twice would throw outside any handler and take the process down.
    if (!res.headersSent) sendError(res, storageUnavailable("rate limit", error));
  }

  // A request no limit counts (a limit turned off) goes on at once: no promise, no extra tick.
  function pass(req: Request, res: Response, path: string, next: NextFunction, hit: Hit | null): void {
    if (!hit) {
      next();
      return;
    }
    over(res, hit).then(
      (answered) => {
        if (!answered) next();
      },
      (error: unknown) => failed(req, res, path, error),
    );
  }

  return (req, res, next) => {
    const path = pathOf(req.url);
    let kind: RouteClass;
    let actor: ReturnType<Authenticate> = null;
    let hit: Hit | null;
    try {
      kind = routeClass(req.method, path);
      if (kind !== "public") actor = options.authenticate(req);
      // The token authenticator answers at once (no promise, no extra tick); a host's own may not.
      hit = isPending(actor) ? null : hitOf(req, path, kind, actor);
    } catch (error) {
      failed(req, res, path, error);
      return;
    }
    if (!isPending(actor)) {
      pass(req, res, path, next, hit);
      return;
    }
    // Any thenable, not only a Promise: `Promise.resolve` takes it in as `await` would.
    Promise.resolve(actor)
      .then((found) => hitOf(req, path, kind, found))
      .then(
        (later) => pass(req, res, path, next, later),
        (error: unknown) => failed(req, res, path, error),
      );
  };
}
