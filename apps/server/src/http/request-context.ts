import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import type { Logger } from "pino";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const context = new AsyncLocalStorage<{ requestId: string }>();

/** The id of the request being served by the current async context, if any (for audit events). */
export function currentRequestId(): string | undefined {
  return context.getStore()?.requestId;
}

/**
 * Gives every request an id (the caller's `X-Request-Id` when it is a plain token, else a new UUID),
 * returns it in `X-Request-Id`, and writes one structured log line per request when it ends: method,
 * route pattern, status, duration and who — never headers, bodies or query strings, which may carry
 * secrets.
 */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader("X-Request-Id", requestId);
    res.on("finish", () => {
      const actor = res.locals.actor as { userId?: string } | undefined;
      logger.info(
        {
          requestId,
          method: req.method,
          route: routeOf(req),
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          ...(actor?.userId ? { userId: actor.userId } : {}),
        },
        "request",
      );
    });
    context.run({ requestId }, next);
  };
}

/**
 * The route pattern that served a request (`/api/clients/:clientId/credentials`), so that logs and
 * metrics group requests without ids; `unmatched` when no route did.
 */
export function routeOf(req: { baseUrl: string; route?: { path?: unknown } }): string {
  return typeof req.route?.path === "string" ? `${req.baseUrl}${req.route.path}` : "unmatched";
}
