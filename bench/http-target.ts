// A child process serving one GET endpoint, either through the credkit server's own wiring or through a
// bare Express 5 handler over a Map, so the load generator (the parent) never shares a core with it.
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createApp } from "@credkit/server/app";
import { loadConfig } from "@credkit/server/config";
import { createLogger } from "@credkit/server/logger";
import express from "express";
import pino from "pino";

const kind = process.argv[2];
const token = randomUUID();
const clientId = "bench-client";

async function credkitApp() {
  const config = loadConfig({
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "bench", clientIds: "*" }]),
    // A limit the load cannot reach: the limiter's cost is measured, its 429s are not.
    CREDKIT_RATE_LIMIT_PER_MINUTE: "10000000",
  });
  // The server logs one line per request; keep that cost, but not the terminal's.
  const credkit = await createApp(
    config,
    createLogger("info", pino.destination({ dest: "/dev/null", sync: false })),
  );
  const created = await credkit.service.create({ userId: "bench", clientIds: "*", scopes: [] }, clientId, {
    credentialName: "bench",
    credentialType: "target",
    authType: "bearer",
    region: "us-east-1",
    secret: { token: randomUUID() },
  });
  return { app: credkit.app, path: `/api/clients/${clientId}/credentials/${created.credentialId}` };
}

function bareApp() {
  const now = new Date().toISOString();
  const view = {
    pKey: clientId,
    sKey: "us-east-1.AAAAAAAAAAAAAAAAAAAAAA",
    credentialId: "us-east-1.AAAAAAAAAAAAAAAAAAAAAA",
    clientId,
    parentId: clientId,
    userId: "bench",
    credentialType: "target",
    credentialAuthType: "bearer",
    credentialName: "bench",
    credentialRegion: "us-east-1",
    credentialDefaultRuleEffect: "allow",
    credentialSingleUse: false,
    credentialTemporary: false,
    credentialVersion: 1,
    credentialExpiresAt: null,
    credentialCreatedAt: now,
    credentialUpdatedAt: now,
  };
  const map = new Map([[`${clientId}/${view.credentialId}`, view]]);
  const app = express();
  app.get("/api/clients/:clientId/credentials/:credentialId", (req, res) => {
    const found = map.get(`${req.params.clientId}/${req.params.credentialId}`);
    if (!found) {
      res.status(404).json({ message: "Not found" });
      return;
    }
    res.json({ credentials: [found], message: "Success" });
  });
  return { app, path: `/api/clients/${clientId}/credentials/${view.credentialId}` };
}

const { app, path } = kind === "credkit" ? await credkitApp() : bareApp();
const server = app.listen(0, "127.0.0.1");
await once(server, "listening");
// Dies with its parent: a bench stopped halfway must not leave a server behind.
process.on("disconnect", () => process.exit(0));
process.send?.({ port: (server.address() as AddressInfo).port, path, token });
