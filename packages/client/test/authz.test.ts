import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredkitApiError, createCredkitClient } from "../src/index.js";

// A stand-in for the data-plane listener (CREDKIT_AUTHZ_PORT), faithful to its protocol:
// ANY /authz/{clientId}[/{targetCredentialId}], proxy token in X-Credkit-Token, the end client's
// credential in the request's own headers; 200 + X-Credkit-Credential-Id + the target's headers +
// X-Credkit-Target-Query; 401 (+ WWW-Authenticate) / 403 / 503 (+ Retry-After) with {allowed:false, reason}.
// The same calls against the real listener: authz-listener.test.ts. This stand-in pins what the real one
// cannot be made to do on demand (a 500, a 503 that clears on retry).
const proxyToken = "authz-proxy-token-0123456789";
const endClientKey = "end-client-key-0123456789";
const seen: { method: string; url: string; headers: IncomingMessage["headers"] }[] = [];
let unavailable = 0;
const mangledSecret = "QUERYSECRET-5d1e8b";

function refuse(res: ServerResponse, status: number, reason: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers });
  res.end(JSON.stringify({ allowed: false, reason }));
}

function listener(req: IncomingMessage, res: ServerResponse) {
  seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
  const match = /^\/authz\/([^/]+)(?:\/([^/]+))?$/.exec(req.url ?? "");
  if (!match) return refuse(res, 404, "no such route");
  if (match[1] === "broken") {
    res.writeHead(500, { "Content-Type": "application/json" });
    return res.end(JSON.stringify({ message: "Internal error", code: "INTERNAL" }));
  }
  if (req.headers["x-credkit-token"] !== proxyToken) return refuse(res, 403, "proxy token refused");
  if (unavailable > 0) {
    unavailable--;
    return refuse(res, 503, "store unavailable", { "Retry-After": "0" });
  }
  if (req.headers["x-api-key"] !== endClientKey) {
    return refuse(res, 401, "no valid credential", { "WWW-Authenticate": 'ApiKey realm="credkit"' });
  }
  res.writeHead(200, {
    "Cache-Control": "no-store",
    "X-Credkit-Credential-Id": "eu-west-1.inbound",
    ...(match[2] ? { Authorization: "Bearer upstream-token", "X-Tenant": match[1] as string } : {}),
    ...(match[2] === "mangled"
      ? { "X-Credkit-Target-Query": `{"api_key":${mangledSecret}}` }
      : match[2]
        ? { "X-Credkit-Target-Query": "api_key=k%201&v=2" }
        : {}),
  });
  res.end();
}

let server: Server;
let baseUrl: string;
beforeAll(async () => {
  server = createServer(listener).listen(0, "127.0.0.1");
  await once(server, "listening");
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const client = (token = proxyToken) =>
  createCredkitClient({
    baseUrl: "http://unused.invalid/api",
    token: "user-token-not-sent-to-authz",
    authz: { baseUrl, token },
    retry: { retries: 1, baseDelayMs: 1 },
  });

describe("client.authz against a protocol-faithful listener", () => {
  it("allows with the matched credential, the target's headers and query; sends the proxy token, not the user token", async () => {
    const answer = await client().authz({
      clientId: "acme",
      targetCredentialId: "eu-west-1.target",
      headers: { "X-Api-Key": endClientKey },
      method: "POST",
    });
    expect(answer).toEqual({
      allowed: true,
      credentialId: "eu-west-1.inbound",
      headers: { authorization: "Bearer upstream-token", "x-tenant": "acme" },
      query: { api_key: "k 1", v: "2" },
    });
    const request = seen.at(-1);
    expect(request).toMatchObject({ method: "POST", url: "/authz/acme/eu-west-1.target" });
    expect(request?.headers["x-credkit-token"]).toBe(proxyToken);
    expect(request?.headers.authorization).toBeUndefined();
  });

  it("allows without a target: no target headers", async () => {
    const answer = await client().authz({ clientId: "acme", headers: { "X-Api-Key": endClientKey } });
    expect(answer).toEqual({ allowed: true, credentialId: "eu-west-1.inbound", headers: {}, query: {} });
    expect(seen.at(-1)?.url).toBe("/authz/acme");
  });

  it("answers refusals as results (401, 403), retries a 503 and reports it if it persists", async () => {
    expect(await client().authz({ clientId: "acme", headers: { "X-Api-Key": "wrong" } })).toEqual({
      allowed: false,
      status: 401,
      reason: "no valid credential",
      retryAfterSeconds: undefined,
    });
    expect(await client("wrong-proxy-token-0123").authz({ clientId: "acme", headers: {} })).toMatchObject({
      allowed: false,
      status: 403,
    });
    unavailable = 1;
    expect(await client().authz({ clientId: "acme", headers: { "X-Api-Key": endClientKey } })).toMatchObject({
      allowed: true,
    });
    unavailable = 5;
    expect(await client().authz({ clientId: "acme", headers: { "X-Api-Key": endClientKey } })).toEqual({
      allowed: false,
      status: 503,
      reason: "store unavailable",
      retryAfterSeconds: 0,
    });
    unavailable = 0;
  });

  it("throws CredkitApiError for anything outside the protocol, and needs the authz option", async () => {
    await expect(
      client().authz({ clientId: "broken", headers: { "X-Api-Key": endClientKey } }),
    ).rejects.toMatchObject({ status: 500, code: "INTERNAL" });
    await expect(
      client().authz({ clientId: "broken", headers: { "X-Api-Key": endClientKey } }),
    ).rejects.toBeInstanceOf(CredkitApiError);
    const plain = createCredkitClient({ baseUrl, token: "t" });
    expect(() => plain.authz({ clientId: "acme", headers: {} })).toThrow(/authz/);
  });

  it("never carries a piece of the target query's secret in the error for a query it cannot read", async () => {
    const error = await client()
      .authz({ clientId: "acme", targetCredentialId: "mangled", headers: { "X-Api-Key": endClientKey } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INVALID_RESPONSE" });
    const seen = inspect(error, { depth: 5 });
    for (let i = 0; i + 6 <= mangledSecret.length; i++)
      expect(seen).not.toContain(mangledSecret.slice(i, i + 6));
  });
});
