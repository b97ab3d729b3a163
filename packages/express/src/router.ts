import type { Request, RequestHandler } from "express";
import { type CredkitHandlerOptions, createCredkitHandler } from "./api-handler.js";

/** Options of {@link createCredkitRouter}: the handler's, with Express's `Request` for `authenticate`. */
export type CredkitRouterOptions = Omit<CredkitHandlerOptions<Request>, "prefix">;

/**
 * The credential API for Express: the one precompiled handler ({@link createCredkitHandler}) as one
 * middleware. Mount it anywhere (`app.use("/api", createCredkitRouter(...))`): Express strips the mount
 * path, and the docs name it (`req.baseUrl`) unless `basePath` says otherwise. Paths it does not serve
 * fall through to the host app's later routes (unless `notFound`); health routes come from
 * {@link createHealthRouter}. Express is needed for its types only: nothing here loads it.
 */
export function createCredkitRouter(options: CredkitRouterOptions): RequestHandler {
  const handle = createCredkitHandler<Request>(options);
  return (req, res, next) => handle(req, res, next);
}
