import type { RequestHandler } from "express";

/**
 * Answers 503 (with Retry-After) when a request has not been answered within `ms`, so a slow
 * dependency cannot hold connections forever. The work itself is not interrupted; its late answer is
 * dropped.
 */
export function requestTimeout(ms: number): RequestHandler {
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      res.setHeader("Retry-After", "1");
      res.status(503).json({ message: "The request timed out", code: "REQUEST_TIMEOUT" });
    }, ms);
    res.on("close", () => clearTimeout(timer));
    next();
  };
}
