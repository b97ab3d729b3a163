import { randomUUID } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";
import { type RequestAuditSlots, writeAuditLine } from "../audit-log.js";
import { linesPerTurn } from "../lines-per-turn.js";
import { fixedFieldLogger } from "../logger.js";
import type { RequestDeadlines } from "./timeout.js";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Health probes and metric scrapes: logged at debug unless they fail (5xx). */
const QUIET_ROUTES = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * Told about every answered request (metrics), from the one listener of its end, with the route
 * pattern its line names (see {@link routeOf}), worked out once for the line and every observer.
 */
export type RequestObserver = (req: Request, res: Response, seconds: number, route: string) => void;

/** Options of {@link requestContext}. */
export interface RequestContextOptions {
  logger: Logger;
  /** Told about every answered request (the metrics). */
  observers?: readonly RequestObserver[];
  /** Where a mutation's audit event waits for its request's line (see {@link RequestAuditSlots}). */
  slots?: RequestAuditSlots;
  /** Set on every response, computed once (the security headers, see `helmetHeaders`). */
  headers?: readonly (readonly [string, string])[];
  /** The request timeout: each request is tracked on arrival and released by the same close listener. */
  deadlines?: RequestDeadlines;
}

/**
 * Gives every request an id (the caller's `X-Request-Id` when it is a plain token, else a new UUID),
 * returns it in `X-Request-Id`, and writes one structured log line per request when it ends: method,
 * route pattern, status, duration and who — never headers, bodies or query strings, which may carry
 * secrets — and the request's audit event when it recorded one (see {@link RequestAuditSlots}).
 * `/healthz`, `/readyz` and `/metrics` answered below 500 are logged at debug. A request whose
 * connection closed before its answer was sent writes no request line, only its audit event's.
 *
 * What every request needs on arrival and at its end is done here, in one Express layer with one close
 * listener: the fixed `headers`, the `deadlines` of the request timeout, the line and the observers.
 * Each layer more costs every request a walk of Express's router, and each listener an allocation.
 */
export function requestContext(options: RequestContextOptions): RequestHandler {
  const { observers = [], slots, headers = [], deadlines } = options;
  // The line holds fixed fields only (no headers, bodies, query strings): no redaction pass needed.
  const lines = fixedFieldLogger(options.logger);
  const requestLine = linesPerTurn(lines);
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader("X-Request-Id", requestId);
    for (const [name, value] of headers) res.setHeader(name, value);
    deadlines?.track(res);
    const slot = slots ? slots.open(requestId) : null;
    // "close" follows "finish" when the answer was sent, and comes alone when the connection went
    // first: one listener serves the timeout, the line, the metrics and the release of the audit slot.
    // `on`, not `once`: a response closes once, and `once` would wrap the listener in one more object.
    res.on("close", () => {
      deadlines?.release(res);
      if (slots) slots.close(requestId);
      const audit = slot?.audit;
      if (!res.writableFinished) {
        if (audit) writeAuditLine(lines, audit);
        return;
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const actor = res.locals.actor as { userId?: string } | undefined;
      const route = routeOf(req);
      // Probes and scrapes arrive every few seconds: at info they would drown the lines that matter.
      const quiet = QUIET_ROUTES.has(route) && res.statusCode < 500 && !audit;
      const line: Record<string, unknown> = {
        requestId,
        method: req.method,
        route,
        status: res.statusCode,
        ms: seconds * 1000,
      };
      if (actor?.userId) line.userId = actor.userId;
      if (audit) line.audit = audit;
      requestLine(quiet ? "debug" : "info", line, "request");
      for (const observe of observers) observe(req, res, seconds, route);
    });
    next();
  };
}

/**
 * The route pattern that served a request (`/api/clients/:clientId/credentials`), so that logs and
 * metrics group requests without ids; the pattern a middleware answering before routing named in
 * `res.locals.route` (see {@link apiRoutePattern}); else `unmatched`.
 */
export function routeOf(req: {
  baseUrl: string;
  route?: { path?: unknown };
  res?: { locals?: Record<string, unknown> } | undefined;
}): string {
  if (typeof req.route?.path === "string") return `${req.baseUrl}${req.route.path}`;
  const named = req.res?.locals?.route;
  return typeof named === "string" ? named : "unmatched";
}

const CLIENT_ROUTE = /^\/clients\/[^/]+(\/verify|\/credentials(\/[^/]+(\/resolve|\/invalidate)?)?)\/?$/;

/**
 * The pattern of an API path for a middleware that answers before the router matched it (a 503 from
 * the rate limiter's backend): `/api/clients/:clientId/credentials/:credentialId` rather than
 * `unmatched`. Ids are replaced, so labels stay few; a path that is no API route stays `unmatched`.
 */
export function apiRoutePattern(baseUrl: string, path: string): string {
  const match = CLIENT_ROUTE.exec(path);
  if (!match) return "unmatched";
  const tail = match[1] as string;
  const rest =
    tail === "/verify" ? "/verify" : `/credentials${match[2] ? `/:credentialId${match[3] ?? ""}` : ""}`;
  return `${baseUrl}/clients/:clientId${rest}`;
}
