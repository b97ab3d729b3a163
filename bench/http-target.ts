// A child process serving the benchmarked endpoints (GET one credential, POST create) through one
// subject, so the load generator (the parent) never shares a core with it:
//   server        the bundled credkit server (Express, memory store, rate limit off)
//   express-bare  a bare Express 5 app doing the same work by hand (Map, JSON parse, AES-256-GCM seal)
//   handler-node  credkit's one API handler served by bare node:http
//   node-bare     a bare node:http handler doing the bare work
// `argv[3]` pre-fills the bench client with that many credentials (create at scale).
// The parent asks for `process.cpuUsage()` over IPC, for CPU per request.
import { createCipheriv, randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type CredentialService, createCredentialService, createKeyring } from "@credkit/core";
import { createCredkitHandler, tokenAuthenticator } from "@credkit/express";
import { createApp } from "@credkit/server/app";
import { loadConfig } from "@credkit/server/config";
import { createLogger } from "@credkit/server/logger";
import { memoryStore } from "@credkit/storage-memory";
import express from "express";
import pino from "pino";
import { createBody } from "./http-body.js";

const kind = process.argv[2];
const prefill = Number(process.argv[3] ?? 0);
const token = randomUUID();
const clientId = "bench-client";
const actor = { userId: "bench", clientIds: "*" as const, scopes: [] };

async function fill(service: CredentialService): Promise<string> {
  const first = await service.create(actor, clientId, createBody);
  for (let i = 1; i < prefill; i++) await service.create(actor, clientId, createBody);
  return first.credentialId;
}

async function serverApp() {
  const config = loadConfig({
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "bench", clientIds: "*" }]),
    // Off, as in the figures: the limiter's shared counter is a store call of its own.
    CREDKIT_RATE_LIMIT_PER_MINUTE: "0",
  });
  // The server logs one line per request; keep that cost, but not the terminal's.
  const credkit = await createApp(
    config,
    createLogger("info", pino.destination({ dest: "/dev/null", sync: false })),
  );
  return { listener: credkit.app, id: await fill(credkit.service) };
}

async function handlerNode() {
  const service = createCredentialService({
    regions: { "us-east-1": memoryStore() },
    keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
  });
  const handle = createCredkitHandler({
    service,
    authenticate: tokenAuthenticator([{ token, userId: "bench", clientIds: "*" }]),
    prefix: "/api",
  });
  return {
    listener: (req: IncomingMessage, res: ServerResponse) => handle(req, res),
    id: await fill(service),
  };
}

/** The bare work of a create: parse, seal the secret under AES-256-GCM, keep it in a Map, answer the view. */
function bareStore() {
  const key = randomBytes(32);
  const map = new Map<string, { view: Record<string, unknown>; sealed: Buffer }>();
  const create = (body: { credentialName: string; secret?: unknown }) => {
    const id = `us-east-1.${randomBytes(16).toString("base64url")}`;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    const sealed = Buffer.concat([
      iv,
      cipher.update(JSON.stringify(body.secret)),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    const now = new Date().toISOString();
    const view = {
      pKey: clientId,
      sKey: id,
      credentialId: id,
      clientId,
      parentId: clientId,
      userId: "bench",
      credentialType: "target",
      credentialAuthType: "bearer",
      credentialName: body.credentialName,
      credentialRegion: "us-east-1",
      credentialDefaultRuleEffect: "allow",
      credentialSingleUse: false,
      credentialTemporary: false,
      credentialVersion: 1,
      credentialCreatedAt: now,
      credentialUpdatedAt: now,
    };
    map.set(`${clientId}/${id}`, { view, sealed });
    return view;
  };
  const first = create(createBody) as { credentialId: string };
  return { map, create, id: first.credentialId };
}

function expressBare() {
  const { map, create, id } = bareStore();
  const app = express();
  app.get("/api/clients/:clientId/credentials/:credentialId", (req, res) => {
    const found = map.get(`${req.params.clientId}/${req.params.credentialId}`);
    if (!found) {
      res.status(404).json({ message: "Not found" });
      return;
    }
    res.json({ credentials: [found.view], message: "Success" });
  });
  app.post("/api/clients/:clientId/credentials", express.json(), (req, res) => {
    res.status(201).json({ credentials: [create(req.body)], message: "Success" });
  });
  return { listener: app, id };
}

function nodeBare() {
  const { map, create, id } = bareStore();
  const item = /^\/api\/clients\/([^/]+)\/credentials\/([^/]+)$/;
  const collection = /^\/api\/clients\/([^/]+)\/credentials$/;
  const send = (res: ServerResponse, status: number, value: unknown) => {
    const body = JSON.stringify(value);
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "/";
    const got = req.method === "GET" ? item.exec(url) : null;
    if (got) {
      const found = map.get(`${got[1]}/${got[2]}`);
      return found ? send(res, 200, { credentials: [found.view], message: "Success" }) : send(res, 404, {});
    }
    if (req.method === "POST" && collection.test(url)) {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () =>
        send(res, 201, {
          credentials: [create(JSON.parse(Buffer.concat(chunks).toString("utf8")))],
          message: "Success",
        }),
      );
      return;
    }
    send(res, 404, {});
  };
  return { listener, id };
}

const subjects: Record<
  string,
  () =>
    | Promise<{ listener: (req: IncomingMessage, res: ServerResponse) => void; id: string }>
    | { listener: (req: IncomingMessage, res: ServerResponse) => void; id: string }
> = {
  server: serverApp,
  "express-bare": expressBare,
  "handler-node": handlerNode,
  "node-bare": nodeBare,
};
const make = kind === undefined ? undefined : subjects[kind];
if (!make) throw new Error(`unknown subject ${kind}; one of ${Object.keys(subjects).join(", ")}`);
const { listener, id } = await make();
const server: Server = createServer(listener);
server.listen(0, "127.0.0.1");
await once(server, "listening");
// Dies with its parent: a bench stopped halfway must not leave a server behind.
process.on("disconnect", () => process.exit(0));
process.on("message", () => process.send?.({ cpu: process.cpuUsage() }));
process.send?.({
  port: (server.address() as AddressInfo).port,
  get: `/api/clients/${clientId}/credentials/${id}`,
  create: `/api/clients/${clientId}/credentials`,
  token,
});
