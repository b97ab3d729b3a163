import { randomBytes } from "node:crypto";
import {
  type CredentialServiceOptions,
  createAddressPolicy,
  createCredentialService,
  createKeyring,
  createOutboundFetch,
} from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { authorizeAtMock, type MockOAuth, startMockOAuth } from "@credkit/test-support";
import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredkitRouter, tokenAuthenticator } from "../src/index.js";
import { contract } from "./app.js";

const tokens = {
  admin: "admin-token-0123456789",
  resolver: "resolver-token-0123456789",
  acmeResolver: "acme-resolver-0123456789",
};

let oauth: MockOAuth;
beforeAll(async () => {
  oauth = await startMockOAuth();
});
afterAll(() => oauth.stop());

/** The router over a memory store sharing the service's clock, with tokens with and without `resolve`. */
function targetApp(options: Pick<CredentialServiceOptions, "pendingAuthorizationTtlMs"> = {}) {
  let at = Date.now();
  const now = () => at;
  const service = createCredentialService({
    regions: { "us-east-1": memoryStore({ clock: now }) },
    keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
    defaultRegion: "us-east-1",
    now,
    outboundFetch: createOutboundFetch({ policy: createAddressPolicy(["127.0.0.1"]) }),
    ...options,
  });
  const app = express();
  app.use(contract.middleware);
  app.use(
    "/api",
    createCredkitRouter({
      service,
      authenticate: tokenAuthenticator([
        { token: tokens.admin, userId: "admin", clientIds: "*" },
        { token: tokens.resolver, userId: "proxy", clientIds: "*", scopes: ["resolve"] },
        { token: tokens.acmeResolver, userId: "acme-proxy", clientIds: ["acme"], scopes: ["resolve"] },
      ]),
    }),
  );
  return { app, service, advance: (ms: number) => (at += ms) };
}

const REDIRECT = "https://credkit.example/api/oauth2/callback";
const authCodeBody = () => ({
  credentialName: "partner API",
  credentialType: "target",
  authType: "oauth2",
  secret: {
    grantType: "authorization_code",
    authorizationUrl: oauth.authorizeUrl,
    tokenUrl: oauth.tokenUrl,
    clientId: "web-app",
    clientSecret: "web-secret-123",
    scopes: ["read"],
    redirectUri: REDIRECT,
  },
});

describe("POST /clients/{clientId}/credentials/{credentialId}/resolve", () => {
  it("answers headers and query, uncached, only to tokens with the resolve scope and client access", async () => {
    const { app } = targetApp();
    const created = await request(app)
      .post("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .send({
        credentialName: "k",
        credentialType: "target",
        authType: "custom",
        secret: { headers: { "X-Key": "RESOLVE-SECRET" }, query: { sig: "q" } },
      })
      .expect(201);
    expect(created.text).not.toContain("RESOLVE-SECRET");
    const id = created.body.credentials[0].credentialId;
    const path = `/api/clients/acme/credentials/${id}/resolve`;

    const ok = await request(app).post(path).set("Authorization", `Bearer ${tokens.resolver}`).expect(200);
    expect(ok.body).toEqual({ headers: { "X-Key": "RESOLVE-SECRET" }, query: { sig: "q" } });
    expect(ok.headers["cache-control"]).toBe("no-store");
    await request(app).post(path).set("Authorization", tokens.acmeResolver).expect(200);

    const noScope = await request(app).post(path).set("Authorization", tokens.admin).expect(403);
    expect(noScope.body).toEqual({ code: "FORBIDDEN", message: expect.stringMatching(/resolve/) });
    await request(app).post(path).expect(401);
    const otherClient = await request(app)
      .post("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .send({ credentialName: "k", credentialType: "target", authType: "none" })
      .expect(201);
    expect(otherClient.body.authorizationUrl).toBeUndefined();
    await request(app)
      .post(`/api/clients/other/credentials/${id}/resolve`)
      .set("Authorization", tokens.acmeResolver)
      .expect(403);
    await request(app)
      .post(`/api/clients/other/credentials/${id}/resolve`)
      .set("Authorization", tokens.resolver)
      .expect(404);
  });

  it("maps failures: 502 for a failing token endpoint, 400 for a proxy credential", async () => {
    const { app } = targetApp();
    const cc = await request(app)
      .post("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .send({
        credentialName: "cc",
        credentialType: "target",
        authType: "oauth2",
        secret: {
          grantType: "client_credentials",
          tokenUrl: oauth.tokenUrl,
          clientId: "c",
          clientSecret: "CS-SECRET",
        },
      })
      .expect(201);
    oauth.onTokenResponse((response) => {
      response.statusCode = 500;
      response.body = { error: "server_error", access_token: "LEAKED" };
    });
    const failed = await request(app)
      .post(`/api/clients/acme/credentials/${cc.body.credentials[0].credentialId}/resolve`)
      .set("Authorization", tokens.resolver)
      .expect(502);
    expect(failed.body.code).toBe("UPSTREAM_ERROR");
    expect(failed.text).not.toMatch(/LEAKED|CS-SECRET/);
    const resolved = await request(app)
      .post(`/api/clients/acme/credentials/${cc.body.credentials[0].credentialId}/resolve`)
      .set("Authorization", tokens.resolver)
      .expect(200);
    expect(resolved.body.headers.Authorization).toMatch(/^Bearer /);

    const proxy = await request(app)
      .post("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .send({
        credentialName: "p",
        credentialType: "proxy",
        authType: "bearer",
        secret: { token: "proxy-token-1-long" },
      })
      .expect(201);
    await request(app)
      .post(`/api/clients/acme/credentials/${proxy.body.credentials[0].credentialId}/resolve`)
      .set("Authorization", tokens.resolver)
      .expect(400);
  });
});

describe("oauth2 authorization code through the HTTP callback", () => {
  it("runs the whole round trip: create → authorize → callback → permanent → resolves to a Bearer header", async () => {
    const { app } = targetApp();
    const created = await request(app)
      .post("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .send(authCodeBody())
      .expect(201);
    expect(created.body).toMatchObject({
      message: "Success",
      authorizationUrl: expect.stringContaining(`${oauth.authorizeUrl}?`),
      credentials: [{ credentialTemporary: true, credentialStatus: "pending_authorization" }],
    });
    expect(created.body.credentials[0].authorizationUrl).toBeUndefined();
    expect(created.text).not.toContain("web-secret-123");
    const id = created.body.credentials[0].credentialId;
    const listed = await request(app).get("/api/clients/acme/credentials").set("Authorization", tokens.admin);
    expect(listed.body.credentials).toEqual([]);

    // The end user's browser: the authorization server redirects to the callback with code and state.
    const { code, state, location } = await authorizeAtMock(created.body.authorizationUrl);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    const callback = `/api/oauth2/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`;
    const page = await request(app).get(callback).set("Accept", "text/html").expect(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.headers["cache-control"]).toBe("no-store");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    expect(page.text).toContain("Authorization complete");
    expect(page.text).toContain("partner API");
    expect(page.text).not.toMatch(/web-secret-123|Bearer|access_token/);

    const got = await request(app)
      .get(`/api/clients/acme/credentials/${id}`)
      .set("Authorization", tokens.admin);
    expect(got.body.credentials[0]).toMatchObject({
      credentialTemporary: false,
      credentialExpiresAt: null,
      credentialStatus: "active",
    });
    const resolved = await request(app)
      .post(`/api/clients/acme/credentials/${id}/resolve`)
      .set("Authorization", tokens.resolver)
      .expect(200);
    expect(resolved.body).toEqual({
      headers: { Authorization: expect.stringMatching(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/) },
      query: {},
    });

    // Replaying the callback: a clear 400 and nothing changes.
    const replay = await request(app).get(callback).expect(400);
    expect(replay.body).toEqual({
      code: "AUTHORIZATION_FAILED",
      message: expect.stringMatching(/Unknown, expired or already used/),
      errors: [{ path: "state", message: expect.any(String) }],
    });
    const after = await request(app)
      .get(`/api/clients/acme/credentials/${id}`)
      .set("Authorization", tokens.admin);
    expect(after.body.credentials[0].credentialVersion).toBe(got.body.credentials[0].credentialVersion);
  });

  it("answers forged, expired, refused and malformed callbacks with 400 and changes nothing", async () => {
    const { app, advance } = targetApp({ pendingAuthorizationTtlMs: 60_000 });
    const created = await request(app)
      .post("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .send(authCodeBody())
      .expect(201);
    const id = created.body.credentials[0].credentialId;
    const { code, state } = await authorizeAtMock(created.body.authorizationUrl);
    const forged = `${state.slice(0, -4)}AAAA`;
    for (const query of [
      { code, state: forged },
      { code, state: "x.y.z" },
      { code },
      { state, error: "access_denied", error_description: "<script>nope</script>" },
      { state: [state, state], code },
    ]) {
      const res = await request(app).get("/api/oauth2/callback").query(query).expect(400);
      expect(res.body.code).toBe("AUTHORIZATION_FAILED");
      expect(res.text).not.toContain("<script>");
    }
    const pending = await request(app)
      .get(`/api/clients/acme/credentials/${id}`)
      .set("Authorization", tokens.admin)
      .expect(200);
    expect(pending.body.credentials[0]).toMatchObject({
      credentialStatus: "pending_authorization",
      credentialVersion: 1,
    });
    advance(60_001);
    await request(app).get("/api/oauth2/callback").query({ code, state }).expect(400);
    await request(app)
      .get(`/api/clients/acme/credentials/${id}`)
      .set("Authorization", tokens.admin)
      .expect(404);
  });

  it("answers JSON when asked, and shows needs_reauthorization after invalid_grant (resolve → 409)", async () => {
    const { app, advance } = targetApp();
    const created = await request(app)
      .post("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .send(authCodeBody())
      .expect(201);
    const id = created.body.credentials[0].credentialId;
    const { code, state } = await authorizeAtMock(created.body.authorizationUrl);
    const done = await request(app)
      .get("/api/oauth2/callback")
      .query({ code, state })
      .set("Accept", "application/json")
      .expect(200);
    // Only what the person completing the flow needs (issue 20): no ids, creator, region or dates.
    expect(done.body).toEqual({
      message: "Success",
      credentialName: expect.any(String),
      credentialStatus: "active",
    });
    expect(JSON.stringify(done.body)).not.toContain(id);

    oauth.onTokenResponse((response) => {
      response.statusCode = 400;
      response.body = { error: "invalid_grant" };
    });
    advance(3600_000);
    const refused = await request(app)
      .post(`/api/clients/acme/credentials/${id}/resolve`)
      .set("Authorization", tokens.resolver)
      .expect(409);
    expect(refused.body.code).toBe("REAUTHORIZATION_REQUIRED");
    const got = await request(app)
      .get(`/api/clients/acme/credentials/${id}`)
      .set("Authorization", tokens.admin);
    expect(got.body.credentials[0].credentialStatus).toBe("needs_reauthorization");

    // A PUT of the secret starts over, with the new authorizationUrl beside the credential.
    const restarted = await request(app)
      .put(`/api/clients/acme/credentials/${id}`)
      .set("Authorization", tokens.admin)
      .send({ secret: authCodeBody().secret })
      .expect(200);
    expect(restarted.body.authorizationUrl).toMatch(/code_challenge=/);
    expect(restarted.body.credentials[0].credentialStatus).toBe("pending_authorization");
  });
});

describe("POST /clients/{clientId}/credentials/{credentialId}/invalidate", () => {
  it("drops the cached token so the next resolve fetches one; resolve scope only", async () => {
    const { app } = targetApp();
    const created = await request(app)
      .post("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .send({
        credentialName: "m2m",
        credentialType: "target",
        authType: "oauth2",
        secret: {
          grantType: "client_credentials",
          tokenUrl: oauth.tokenUrl,
          clientId: "svc",
          clientSecret: "svc-secret-1",
        },
      })
      .expect(201);
    const base = `/api/clients/acme/credentials/${created.body.credentials[0].credentialId}`;
    const resolve = () =>
      request(app).post(`${base}/resolve`).set("Authorization", tokens.resolver).expect(200);
    const before = oauth.tokenRequests();
    await resolve();
    await resolve();
    expect(oauth.tokenRequests() - before).toBe(1);
    await request(app).post(`${base}/invalidate`).set("Authorization", tokens.admin).expect(403);
    const invalidated = await request(app)
      .post(`${base}/invalidate`)
      .set("Authorization", tokens.resolver)
      .expect(200);
    expect(invalidated.body).toEqual({ message: "Success" });
    await resolve();
    expect(oauth.tokenRequests() - before).toBe(2);
  });
});
