import { randomBytes } from "node:crypto";
import { createCredentialService, createKeyring } from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import express from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createCredkitRouter, tokenAuthenticator } from "../src/index.js";
import { contract } from "./app.js";

const token = "lifetime-token-0123456789";
const auth = { Authorization: token };

/** The router over a memory store sharing the service's clock (every answer checked against the OpenAPI). */
function clockedApp() {
  let at = Date.now();
  const now = () => at;
  const service = createCredentialService({
    regions: { "us-east-1": memoryStore({ clock: now }) },
    keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
    defaultRegion: "us-east-1",
    now,
  });
  const app = express();
  app.use(contract.middleware);
  app.use(
    "/api",
    createCredkitRouter({
      service,
      authenticate: tokenAuthenticator([{ token, userId: "admin", clientIds: "*", scopes: ["resolve"] }]),
    }),
  );
  return { app, now, advance: (ms: number) => (at += ms) };
}

const iso = (ms: number) => new Date(ms).toISOString();
const keyValue = "expiring-key-0123456789";

describe("expiresAt over the REST API", () => {
  it("is set on create, shown, hides the credential from lists at that instant unless includeExpired", async () => {
    const { app, now, advance } = clockedApp();
    const end = now() + 60_000;
    const created = await request(app)
      .post("/api/clients/acme/credentials")
      .set(auth)
      .send({
        credentialName: "expiring",
        credentialType: "proxy",
        authType: "apiKey",
        secret: { keyName: "X-Api-Key", keyValue },
        expiresAt: iso(end),
      })
      .expect(201);
    const credential = created.body.credentials[0];
    expect(credential.credentialExpiresAt).toBe(iso(end));
    const listed = async (query: string) =>
      (await request(app).get(`/api/clients/acme/credentials${query}`).set(auth).expect(200)).body
        .credentials;
    expect(await listed("")).toHaveLength(1);
    const verify = () =>
      request(app)
        .post("/api/clients/acme/verify")
        .set(auth)
        .send({ headers: { "x-api-key": keyValue } })
        .expect(200);
    expect((await verify()).body.allowed).toBe(true);

    advance(60_000);
    expect((await verify()).body).toEqual({ allowed: false, reason: "EXPIRED" });
    expect(await listed("")).toEqual([]);
    expect(await listed("?includeExpired=false")).toEqual([]);
    expect(await listed("?includeExpired=True")).toEqual([
      expect.objectContaining({ credentialExpiresAt: iso(end) }),
    ]);
    await request(app).get(`/api/clients/acme/credentials/${credential.credentialId}`).set(auth).expect(200);
    const bad = await request(app)
      .get("/api/clients/acme/credentials?includeExpired=yes")
      .set(auth)
      .expect(400);
    expect(bad.body.errors).toEqual([{ path: "includeExpired", message: "must be true or false" }]);
  });

  it("answers 409 CREDENTIAL_EXPIRED on resolve, renewable by PUT; a past expiresAt is a 400 naming it", async () => {
    const { app, now, advance } = clockedApp();
    const created = await request(app)
      .post("/api/clients/acme/credentials")
      .set(auth)
      .send({
        credentialName: "upstream",
        credentialType: "target",
        authType: "bearer",
        secret: { token: "upstream-secret-token" },
        expiresAt: iso(now() + 1000),
      })
      .expect(201);
    const path = `/api/clients/acme/credentials/${created.body.credentials[0].credentialId}`;
    advance(1000);
    const refused = await request(app).post(`${path}/resolve`).set(auth).expect(409);
    expect(refused.body).toEqual({
      code: "CREDENTIAL_EXPIRED",
      message: expect.stringMatching(/expired at/),
    });
    expect(JSON.stringify(refused.body)).not.toContain("upstream-secret-token");

    const past = await request(app)
      .put(path)
      .set(auth)
      .send({ expiresAt: iso(now() - 1) })
      .expect(400);
    expect(past.body.errors).toEqual([{ path: "expiresAt", message: "must be in the future" }]);
    const format = await request(app).put(path).set(auth).send({ expiresAt: "tomorrow" }).expect(400);
    expect(format.body.errors[0].path).toBe("expiresAt");

    const renewed = await request(app)
      .put(path)
      .set(auth)
      .send({ expiresAt: iso(now() + 1000) })
      .expect(200);
    expect(renewed.body.credentials[0]).toMatchObject({
      credentialExpiresAt: iso(now() + 1000),
      credentialVersion: 2,
    });
    await request(app).post(`${path}/resolve`).set(auth).expect(200);
    const cleared = await request(app).put(path).set(auth).send({ expiresAt: null }).expect(200);
    expect(cleared.body.credentials[0].credentialExpiresAt).toBeNull();
  });
});
