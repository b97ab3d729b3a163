import type { NextFunction, Request, RequestHandler, Response } from "express";

/** Where a path segment ends: `/`, `?` or `#`. */
const SEGMENT_END = new Set([47, 63, 35]);

/**
 * `handler` under the mount path `path` (a lower-case literal such as `/api`), as
 * `app.use(path, handler)` would mount it, without a router layer of its own: the caller runs it from
 * a layer it already has. Why: a layer of Express's router costs every request a walk, a path match
 * and the strip and restore of its prefix, and the bundled server's every request already pays for
 * one (`requestContext`).
 *
 * What the handler sees is what Express's mount shows it: the path matched in any case, at a segment
 * boundary; `req.baseUrl` the prefix as the request spelled it (no trailing slash); `req.url` the rest,
 * from its `/`. A request not under `path` goes to `next` untouched; one the handler passes on (`next`)
 * goes there with its URL and base restored, so the routes after it see the request as it came.
 */
export function mountPath(path: string, handler: RequestHandler): RequestHandler {
  const length = path.length;
  return (req: Request, res: Response, next: NextFunction) => {
    const url = req.url;
    // Path-form targets only. An absolute-form one ("http://host/api/…") passes on to the 404: Express's
    // mount would strip it, but the API handler matches path-form targets only and passed it on too.
    if (
      !(url.length === length || SEGMENT_END.has(url.charCodeAt(length))) ||
      url.slice(0, length).toLowerCase() !== path
    ) {
      next();
      return;
    }
    const parentBase = req.baseUrl;
    // "/api/" strips to "/" as "/api" does, and "/api?x" to "/?x": the rest always starts with "/".
    const rest = url.slice(length);
    req.baseUrl = parentBase + url.slice(0, length);
    req.url = rest.charCodeAt(0) === 47 ? rest : `/${rest}`;
    handler(req, res, (error?: unknown) => {
      req.baseUrl = parentBase;
      req.url = url;
      next(error);
    });
  };
}
