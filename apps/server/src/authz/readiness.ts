import type { RequestHandler } from "express";
import type { AuthzListener } from "./listener.js";

/**
 * `GET /readyz` when the data-plane listener is configured: 503 while it is not accepting connections
 * (not yet started, or closing), else on to the store checks.
 */
export function authzReadiness(authz: AuthzListener): RequestHandler {
  return (_req, res, next) => {
    if (authz.listening) {
      next();
      return;
    }
    res.setHeader("Retry-After", "1");
    res.status(503).json({ status: "unavailable", authz: { listening: false } });
  };
}
