import type { CredentialService } from "@credkit/core";
import { Router } from "express";

/**
 * `GET /healthz` (the process answers) and `GET /readyz` (every store answers a ping; 503 with the
 * failing stores otherwise), each store with the regions it serves and whether several share it.
 * Store errors are summarized, never dumped.
 */
export function createHealthRouter(service: CredentialService): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    const stores = await service.health();
    const ready = stores.every((s) => s.ok);
    if (!ready) res.setHeader("Retry-After", "1");
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "unavailable", stores });
  });
  return router;
}
