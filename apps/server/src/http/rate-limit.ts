import { CredkitError } from "@credkit/core";
import { sendError, tokenFromHeader } from "@credkit/express";
import type { RequestHandler } from "express";
import type { Logger } from "pino";
import type { SharedCounter } from "./shared-counter.js";

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /** Requests allowed per token per minute; 0 turns the limit off. */
  perMinute: number;
  counter: SharedCounter;
  /** A keyed hash of who is calling: the same in every process sharing the counter, never the token. */
  keyOf: (who: string) => string;
  logger: Logger;
}

/**
 * Per-token rate limiting: 429 `RATE_LIMITED` with `Retry-After` once a token has made `perMinute`
 * requests in the current minute. Tokens are counted under a keyed hash, never in clear; requests
 * without a token are counted by address. If the counter's backend fails, requests are let through
 * (an outage of the limiter must not become an outage of the API) and the failure is logged.
 */
export function rateLimit(options: RateLimitOptions): RequestHandler {
  const windowMs = 60_000;
  return async (req, res, next) => {
    if (options.perMinute <= 0) {
      next();
      return;
    }
    const token = tokenFromHeader(req.headers.authorization);
    const who = token ?? `ip:${req.socket.remoteAddress ?? "unknown"}`;
    try {
      const { count, resetMs } = await options.counter.hit(options.keyOf(who), windowMs);
      res.setHeader("RateLimit-Limit", String(options.perMinute));
      res.setHeader("RateLimit-Remaining", String(Math.max(0, options.perMinute - count)));
      if (count > options.perMinute) {
        const retryAfterSeconds = Math.max(1, Math.ceil(resetMs / 1000));
        sendError(
          res,
          new CredkitError("RATE_LIMITED", "Too many requests for this token; retry later", {
            retryAfterSeconds,
          }),
        );
        return;
      }
    } catch (error) {
      options.logger.warn({ err: error }, "rate limiter unavailable; letting the request through");
    }
    next();
  };
}
