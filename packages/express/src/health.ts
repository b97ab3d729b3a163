import type { IncomingMessage, ServerResponse } from "node:http";
import type { CredentialService } from "@credkit/core";
import { sendJson } from "./json-response.js";

/**
 * `GET /healthz` (the process answers) and `GET /readyz` (every store answers a ping; 503 with the
 * failing stores otherwise), each store with the regions it serves and whether several share it.
 * Store errors are summarized, never dumped. A `(req, res, next)` middleware: other paths go to `next`.
 */
export function createHealthRouter(
  service: CredentialService,
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    const path = (req.url ?? "/").split("?", 1)[0] as string;
    if (path !== "/healthz" && path !== "/readyz") return next();
    // Under Express, the route logs and metrics group the request by (probes are logged quietly).
    const locals = (res as { locals?: Record<string, unknown> }).locals;
    if (locals) locals.route = path;
    if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
    service.health().then(
      (stores) => {
        const ready = stores.every((s) => s.ok);
        if (!ready) res.setHeader("Retry-After", "1");
        sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "unavailable", stores });
      },
      // health() summarizes store failures itself; this is for its own bugs, answered without detail.
      () => sendJson(res, 503, { status: "unavailable", stores: [] }),
    );
  };
}
