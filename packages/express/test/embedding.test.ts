import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { type AuditEvent, createCredentialService, createKeyring } from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import express from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createCredkitRouter, createHealthRouter, errorHandler, tokenAuthenticator } from "../src/index.js";

const ADMIN = "admin-token-0123456789";
const ACME = "acme-token-0123456789";
const SECRET = `SECRET-${randomUUID()}`;
const body = {
  credentialName: "partner",
  credentialType: "proxy",
  authType: "apiKey",
  region: "eu-west-1",
  secret: { keyName: "X-Api-Key", keyValue: SECRET },
};

/** POSTs a create without Content-Length (chunked), so no declared size can be checked. */
async function postChunked(app: express.Express, text: string) {
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<{ status: number; body: { code?: string } }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/api/clients/acme/credentials",
          headers: { Authorization: ADMIN, "Content-Type": "application/json" },
        },
        (res) => {
          let data = "";
          res.on("data", (chunk) => {
            data += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
        },
      );
      req.on("error", reject);
      for (let i = 0; i < text.length; i += 100) req.write(text.slice(i, i + 100));
      req.end();
    });
  } finally {
    server.close();
  }
}

/** A host app as teams have them: its own parser and routes before and after the mounted router. */
function hostApp(options: { hostParsesJson: boolean; hostLimit?: string; errorHandlerAfter?: boolean }) {
  const service = createCredentialService({
    regions: { "eu-west-1": memoryStore() },
    keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
  });
  const events: AuditEvent[] = [];
  const app = express();
  if (options.hostParsesJson) app.use(express.json({ limit: options.hostLimit ?? "10mb" }));
  app.get("/api/status", (_req, res) => {
    res.json({ host: "before" });
  });
  app.use(
    "/api",
    createCredkitRouter({
      service,
      authenticate: tokenAuthenticator([
        { token: ADMIN, userId: "admin", clientIds: "*" },
        { token: ACME, userId: "acme-user", clientIds: ["acme"] },
      ]),
      bodyLimit: "1kb",
      audit: { record: (event) => events.push(event) },
    }),
  );
  if (options.errorHandlerAfter) app.use("/api", errorHandler());
  app.get("/api/version", (_req, res) => {
    res.json({ host: "after" });
  });
  app.post("/api/echo", (req, res) => {
    res.json({ host: "after", got: req.body ?? null });
  });
  app.use(createHealthRouter(service));
  app.use((_req, res) => {
    res.status(404).json({ host: "404" });
  });
  return { app, events };
}

describe("the router inside a host app", () => {
  for (const hostParsesJson of [false, true]) {
    describe(hostParsesJson ? "host runs express.json() first" : "host parses nothing", () => {
      it("lets the host's routes before and after the mount answer, and serves its own", async () => {
        const { app } = hostApp({ hostParsesJson });
        expect((await request(app).get("/api/status").expect(200)).body).toEqual({ host: "before" });
        expect((await request(app).get("/api/version").expect(200)).body).toEqual({ host: "after" });
        const echoed = await request(app).post("/api/echo").send({ a: 1 }).expect(200);
        expect(echoed.body.host).toBe("after");
        expect((await request(app).get("/api/unknown").expect(404)).body).toEqual({ host: "404" });
        const created = await request(app)
          .post("/api/clients/acme/credentials")
          .set("Authorization", ADMIN)
          .send(body)
          .expect(201);
        expect(JSON.stringify(created.body)).not.toContain(SECRET);
      });

      it("holds the router's body limit (413) and media type (415)", async () => {
        const { app } = hostApp({ hostParsesJson });
        const big = { ...body, credentialName: "x".repeat(2000) };
        const tooLarge = await request(app)
          .post("/api/clients/acme/credentials")
          .set("Authorization", ADMIN)
          .send(big)
          .expect(413);
        expect(tooLarge.body.code).toBe("PAYLOAD_TOO_LARGE");
        const chunked = await postChunked(app, JSON.stringify(big));
        expect(chunked).toMatchObject({ status: 413, body: { code: "PAYLOAD_TOO_LARGE" } });
        const text = await request(app)
          .post("/api/clients/acme/credentials")
          .set("Authorization", ADMIN)
          .set("Content-Type", "text/plain")
          .send("hello")
          .expect(415);
        expect(text.body.code).toBe("UNSUPPORTED_MEDIA_TYPE");
      });

      it("sends refused authorizations (401, 403) to the audit hook, without the token", async () => {
        const { app, events } = hostApp({ hostParsesJson });
        await request(app).get("/api/clients/acme/credentials").expect(401);
        await request(app)
          .get("/api/clients/other/credentials")
          .set("Authorization", `Bearer ${ACME}`)
          .expect(403);
        await request(app).get("/api/clients/acme/credentials").set("Authorization", ACME).expect(200);
        expect(events).toEqual([
          expect.objectContaining({ action: "authorization.failed", code: "UNAUTHORIZED", clientId: "acme" }),
          expect.objectContaining({
            action: "authorization.failed",
            code: "FORBIDDEN",
            clientId: "other",
            userId: "acme-user",
          }),
        ]);
        expect(JSON.stringify(events)).not.toContain(ACME);
      });
    });
  }

  it("answers invalid JSON with its 400 itself, or with the same 400 from errorHandler() after the mount when the host parsed first", async () => {
    const send = (app: express.Express) =>
      request(app)
        .post("/api/clients/acme/credentials")
        .set("Authorization", ADMIN)
        .set("Content-Type", "application/json")
        .send('{"credentialName": ');
    const own = await send(hostApp({ hostParsesJson: false }).app).expect(400);
    expect(own.body).toMatchObject({ code: "VALIDATION_ERROR", errors: [{ path: "body" }] });
    // The host's parser fails before the router is reached: errorHandler() mounted after the router,
    // on the same prefix, gives its errors the router's shape.
    const hosted = await send(hostApp({ hostParsesJson: true, errorHandlerAfter: true }).app).expect(400);
    expect(hosted.body).toEqual(own.body);
    const hostTooLarge = await request(
      hostApp({ hostParsesJson: true, hostLimit: "10b", errorHandlerAfter: true }).app,
    )
      .post("/api/clients/acme/credentials")
      .set("Authorization", ADMIN)
      .send(body)
      .expect(413);
    expect(hostTooLarge.body.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("lets a host's own authenticate read its res.locals, and refuses without talking about tokens", async () => {
    const service = createCredentialService({
      regions: { "eu-west-1": memoryStore() },
      keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
    });
    const app = express();
    // The host's session middleware runs first; its result lives in res.locals.
    app.use((req, res, next) => {
      if (req.headers.cookie === "session=ops") res.locals.session = { user: "ops" };
      next();
    });
    app.use(
      "/api",
      createCredkitRouter({
        service,
        authenticate: (req) => {
          const session = req.res?.locals.session as { user: string } | undefined;
          return session ? { userId: session.user, clientIds: "*" } : null;
        },
      }),
    );
    const refused = await request(app).get("/api/clients/acme/credentials").expect(401);
    expect(refused.body).toEqual({ code: "UNAUTHORIZED", message: "The request is not authenticated" });
    await request(app).get("/api/clients/acme/credentials").set("Cookie", "session=ops").expect(200);
  });

  it("waits for an authenticate that answers later, a bare thenable too: its null is a 401", async () => {
    const service = createCredentialService({
      regions: { "eu-west-1": memoryStore() },
      keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
    });
    const app = express();
    // Not a Promise, only a `then`: taken for an actor as it is, it would let the request in.
    const later = (actor: { userId: string; clientIds: "*" } | null) =>
      // biome-ignore lint/suspicious/noThenProperty: a thenable that is no Promise, on purpose
      ({ then: (resolve: (value: typeof actor) => void) => resolve(actor) }) as unknown as Promise<
        typeof actor
      >;
    app.use(
      "/api",
      createCredkitRouter({
        service,
        authenticate: (req) =>
          later(req.headers.cookie === "session=ops" ? { userId: "ops", clientIds: "*" } : null),
      }),
    );
    await request(app).get("/api/clients/acme/credentials").expect(401);
    await request(app).get("/api/clients/acme/credentials").set("Cookie", "session=ops").expect(200);
  });

  it("serves /healthz and /readyz from createHealthRouter", async () => {
    const { app } = hostApp({ hostParsesJson: true });
    expect((await request(app).get("/healthz").expect(200)).body).toEqual({ status: "ok" });
    expect((await request(app).get("/readyz").expect(200)).body.status).toBe("ready");
  });
});
