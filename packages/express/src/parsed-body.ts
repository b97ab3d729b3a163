import { CredkitError } from "@credkit/core";
import type { RequestHandler } from "express";

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** A body limit as bytes: a number, or a string such as "100kb" (the units body-parser accepts). */
export function limitInBytes(limit: number | string): number {
  if (typeof limit === "number") return limit;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(limit);
  if (!match) throw new TypeError(`bodyLimit must be a number of bytes or e.g. "100kb", got "${limit}"`);
  return Math.floor(Number(match[1]) * (UNITS[(match[2] ?? "b").toLowerCase()] ?? 1));
}

/**
 * Holds the router's body limit when the host app parsed the body before the router (its own
 * `express.json()` ran first, so the router's parser skips the request): the declared length, or the
 * size of what was parsed when the body came chunked, must stay within the limit, else 413. Bodies the
 * router parses itself are limited by its own parser.
 */
export function parsedBodyLimit(limit: number | string): RequestHandler {
  const max = limitInBytes(limit);
  return (req, _res, next) => {
    // Consumed already: a parser of the host app read it (the router's own parser then skips it).
    if (!req.readableEnded) return next();
    const declared = Number(req.headers["content-length"]);
    const size =
      Number.isFinite(declared) && declared > 0
        ? declared
        : Buffer.byteLength(JSON.stringify(req.body ?? null) ?? "");
    if (size > max) throw new CredkitError("PAYLOAD_TOO_LARGE", "The request body is larger than the limit");
    next();
  };
}
