import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AuditEvent,
  authzRefusals,
  CredkitError,
  createCredentialService,
  createKeyring,
} from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAuthzPath } from "../src/authz-route.js";
import { createAuthzHandler } from "../src/index.js";

// An embedding service serving the exported /authz handler on a port of its own (no bundled server),
// over a real memory store: what the handler answers is the verdict of core's authorizeProxyRequest,
// mapped by the contract in core (authzHeaders, authzRefusals, reservedAnswerHeaders).
const GATEWAY = `gateway-${randomBytes(12).toString("hex")}`;
const NO_SCOPE = `noscope-${randomBytes(12).toString("hex")}`;
const ADMIN = { userId: "admin", clientIds: "*" as const, scopes: ["resolve" as const] };
const store = memoryStore();
const service = createCredentialService({
  regions: { "eu-west-1": store },
  keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
  defaultRegion: "eu-west-1",
});
const audit: AuditEvent[] = [];
const errors: unknown[] = [];
const clientId = `acme-${randomUUID()}`;
const key = `end-client-${randomBytes(12).toString("hex")}`;
const upstream = `upstream-${randomBytes(12).toString("hex")}`;
let server: Server;
let base: string;
let proxyId: string;
let targetId: string;

beforeAll(async () => {
  proxyId = (
    await service.create(ADMIN, clientId, {
      credentialName: "in",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: key },
    })
  ).credentialId;
  targetId = (
    await service.create(ADMIN, clientId, {
      credentialName: "out",
      credentialType: "target",
      authType: "custom",
      // Content-Type and X-Credkit-Credential-Id frame or belong to the answer: never the target's.
      secret: {
        headers: {
          "X-Upstream-Key": upstream,
          "Content-Type": "text/evil",
          "X-Credkit-Credential-Id": "forged",
        },
        query: { api_key: upstream },
      },
    })
  ).credentialId;
  server = createServer(
    createAuthzHandler({
      service,
      tokens: [
        { token: GATEWAY, userId: "gw", clientIds: [clientId], scopes: ["authz"] },
        { token: NO_SCOPE, userId: "mgmt", clientIds: "*", scopes: ["resolve"] },
      ],
      audit: { record: (event) => audit.push(event) },
      onError: (error) => errors.push(error),
    }),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const ask = (path: string, headers: Record<string, string>, token = GATEWAY) =>
  fetch(`${base}${path}`, { headers: { "X-Credkit-Token": token, ...headers } });

describe("createAuthzHandler on an embedding service's own port", () => {
  it("allows with the credential id and the target's headers and query, and no body", async () => {
    const res = await ask(`/authz/${clientId}/${targetId}`, { "X-Api-Key": key });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-credkit-credential-id")).toBe(proxyId);
    expect(res.headers.get("x-upstream-key")).toBe(upstream);
    expect(res.headers.get("x-credkit-target-query")).toBe(`api_key=${upstream}`);
    expect(res.headers.get("content-type")).toBeNull();
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toBe("");
  });

  it("refuses as the contract says: status, challenge, {allowed:false, reason}, never a secret", async () => {
    const cases: [string, Record<string, string>, string, string][] = [
      [`/authz/${clientId}`, {}, GATEWAY, "NO_CREDENTIAL"],
      [`/authz/${clientId}`, { "X-Api-Key": `${key}x` }, GATEWAY, "NO_CREDENTIAL"],
      [`/authz/${clientId}`, { "X-Api-Key": key }, "unknown-token", "PROXY_TOKEN_INVALID"],
      [`/authz/${clientId}`, { "X-Api-Key": key }, NO_SCOPE, "FORBIDDEN"],
      [`/authz/someone-else`, { "X-Api-Key": key }, GATEWAY, "FORBIDDEN"],
      [
        `/authz/${clientId}/eu-west-1.AAAAAAAAAAAAAAAAAAAAAA`,
        { "X-Api-Key": key },
        GATEWAY,
        "TARGET_NOT_FOUND",
      ],
    ];
    for (const [path, headers, token, reason] of cases) {
      const res = await ask(path, headers, token);
      const contract: { status: number; challenge?: string } =
        authzRefusals[reason as keyof typeof authzRefusals];
      expect([path, token, res.status]).toEqual([path, token, contract.status]);
      expect(res.headers.get("www-authenticate")).toBe(contract.challenge ?? null);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ allowed: false, reason });
      expect(text).not.toContain(key);
    }
    // An unknown token is anyone's to send: not audited (a line each would let them fill the log).
    expect(audit.filter((e) => e.action === "authorization.failed").map((e) => [e.code, e.userId])).toEqual([
      ["FORBIDDEN", "mgmt"],
      ["FORBIDDEN", "gw"],
    ]);
  });

  it("recognises the remembered gateway token only when it is that very token, and each path as itself", async () => {
    const plain = () => ask(`/authz/${clientId}`, { "X-Api-Key": key });
    expect((await plain()).status).toBe(200); // remembered now
    // Same length in characters, other bytes: one ASCII character changed; a Latin-1 character whose
    // UTF-8 form is one byte longer; and one that fills the remembered length exactly before the end.
    const lastChar = GATEWAY.at(-1) === "a" ? "b" : "a";
    for (const token of [
      `${GATEWAY.slice(0, -1)}${lastChar}`,
      `${GATEWAY.slice(0, -1)}é`,
      `${GATEWAY.slice(0, -2)}éx`,
      GATEWAY.slice(0, -1),
      `${GATEWAY}x`,
    ]) {
      const res = await ask(`/authz/${clientId}`, { "X-Api-Key": key }, token);
      expect([token, res.status]).toEqual([token, 401]);
      expect(await res.json()).toMatchObject({ allowed: false, reason: "PROXY_TOKEN_INVALID" });
      // The refusals did not make it forget (or replace) the token that matched.
      expect((await plain()).status).toBe(200);
    }
    // Paths asked in turn: each answer is its own path's (the last parse is reused only for the same URL).
    for (let i = 0; i < 2; i++) {
      const withTarget = await ask(`/authz/${clientId}/${targetId}`, { "X-Api-Key": key });
      expect(withTarget.headers.get("x-upstream-key")).toBe(upstream);
      const without = await plain();
      expect([without.status, without.headers.get("x-upstream-key")]).toEqual([200, null]);
      expect((await ask("/authz/someone-else", { "X-Api-Key": key })).status).toBe(403);
    }
  });

  it("answers 400 naming clientId for a malformed one (the longest, with a CR LF), 404 off the route", async () => {
    for (const bad of ["_x", "a%0D%0AX-Evil:1", "a".repeat(129)]) {
      const res = await ask(`/authz/${bad}`, { "X-Api-Key": key });
      expect(res.status, bad).toBe(400);
      expect(await res.json()).toMatchObject({ code: "VALIDATION_ERROR", errors: [{ path: "clientId" }] });
    }
    expect((await ask("/api/x", {})).status).toBe(404);
    expect((await ask(`/authz/${clientId}/a/b`, {})).status).toBe(404);
  });

  it("answers 503 + Retry-After when the store is down, without the error's text", async () => {
    const original = store.findByLookups;
    store.findByLookups = () =>
      Promise.reject(new CredkitError("STORAGE_UNAVAILABLE", "The redis store at 10.0.0.1 is unavailable"));
    try {
      const res = await ask(`/authz/${clientId}`, { "X-Api-Key": key });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ allowed: false, reason: "STORAGE_UNAVAILABLE" });
      expect(text).not.toContain("10.0.0.1");
    } finally {
      store.findByLookups = original;
    }
    expect((await ask(`/authz/${clientId}`, { "X-Api-Key": key })).status).toBe(200);
    expect(errors).toEqual([]);
  });
});

describe("parseAuthzPath", () => {
  it("reads the client, the optional target and ignores an Envoy-appended tail after /-", () => {
    expect(parseAuthzPath("/authz/acme")).toEqual({ clientId: "acme", targetCredentialId: null });
    expect(parseAuthzPath("/authz/acme/t1?x=1")).toEqual({ clientId: "acme", targetCredentialId: "t1" });
    expect(parseAuthzPath("/authz/acme/t1/-/a/b")).toEqual({ clientId: "acme", targetCredentialId: "t1" });
    expect(parseAuthzPath("/authz/acme/-/a")).toEqual({ clientId: "acme", targetCredentialId: null });
    expect(parseAuthzPath("/authz/a%40b/")).toEqual({ clientId: "a@b", targetCredentialId: null });
    for (const bad of ["/authz", "/authz/", "/authz//t", "/authz/a/b/c", "/other/a", "/authz/%E0%A4%A"])
      expect(parseAuthzPath(bad)).toBeNull();
  });
});
