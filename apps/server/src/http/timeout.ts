import { CredkitError } from "@credkit/core";
import { sendError } from "@credkit/express";
import type { RequestHandler } from "express";

/**
 * Answers 503 `REQUEST_TIMEOUT` (with Retry-After) when a request has not been answered within `ms`,
 * so a slow dependency cannot hold connections forever. The work itself is not interrupted; its late
 * answer is dropped.
 */
export function requestTimeout(ms: number): RequestHandler {
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      sendError(res, new CredkitError("REQUEST_TIMEOUT", "The request timed out", { retryAfterSeconds: 1 }));
    }, ms);
    res.on("close", () => clearTimeout(timer));
    next();
  };
}
