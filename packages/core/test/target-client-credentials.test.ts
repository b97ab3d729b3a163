import { admin, memoryStore, targetService, testClock, testKeyring } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import type { CredentialStore } from "../src/index.js";
import { stateOf, useMockOAuth } from "./oauth-fixture.js";

const mock = useMockOAuth();

const CLIENT_SECRET = "cs-Zq7-very-secret";
const clientCredentials = (extra: Record<string, unknown> = {}) =>
  mock.clientCredentials({ clientId: "svc client", clientSecret: CLIENT_SECRET, ...extra });

/** Numbers every token the mock issues until `stop()` (`<prefix>-1`, `<prefix>-2`, ...). */
function numberTokens(prefix: string) {
  let issued = 0;
  const stop = mock.server.onTokenResponse((response) => {
    (response.body as Record<string, unknown>).access_token = `${prefix}-${++issued}`;
  }, true);
  return { issued: () => issued, stop };
}

describe("oauth2 client_credentials", () => {
  it("authenticates with client_secret_basic by default, sending scopes and audience", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(
      admin,
      clientId,
      clientCredentials({ scopes: ["read", "write"], audience: "https://api.example" }),
    );
    const before = mock.server.seen.length;
    const auth = await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(auth.query).toEqual({});
    expect(auth.headers.Authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const request = mock.server.seen[before];
    // RFC 6749 §2.3.1: id and secret are form-encoded (the space in the id becomes "+") before Basic.
    expect(request?.authorization).toBe(
      `Basic ${Buffer.from(`svc+client:${CLIENT_SECRET}`).toString("base64")}`,
    );
    expect(request?.body).toEqual({
      grant_type: "client_credentials",
      scope: "read write",
      audience: "https://api.example",
    });
  });

  it("sends the client in the body with client_secret_post", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(
      admin,
      clientId,
      clientCredentials({ tokenEndpointAuthMethod: "client_secret_post" }),
    );
    const before = mock.server.seen.length;
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(mock.server.seen[before]?.authorization).toBeUndefined();
    expect(mock.server.seen[before]?.body).toEqual({
      grant_type: "client_credentials",
      client_id: "svc client",
      client_secret: CLIENT_SECRET,
    });
  });

  it("caches the token, encrypted in the record, until shortly (30 s) before expires_in", async () => {
    const clock = testClock();
    const { service, store, keyring, clientId } = targetService({ now: clock.now });
    const created = await service.create(admin, clientId, clientCredentials());
    const start = mock.server.tokenRequests();
    const first = await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(await service.resolveTargetAuth(admin, clientId, created.credentialId)).toEqual(first);
    expect(mock.server.tokenRequests() - start).toBe(1);

    const token = (first.headers.Authorization ?? "").slice("Bearer ".length);
    const record = await store.get(clientId, created.credentialId);
    expect(record?.tokenState).toMatch(/^ck1\.k1\./);
    expect(record?.tokenState).not.toContain(token.slice(0, 40));
    expect(JSON.stringify(record)).not.toContain(token);
    expect(stateOf(keyring, record).access.token).toBe(token);
    const view = await service.get(admin, clientId, created.credentialId);
    expect(JSON.stringify(view)).not.toContain(token);
    expect(view.credentialUpdatedAt).toBe(created.credentialUpdatedAt); // token writes are not user changes

    clock.advance(3600_000 - 30_000 - 1);
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(mock.server.tokenRequests() - start).toBe(1);
    clock.advance(2);
    const renewed = await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(mock.server.tokenRequests() - start).toBe(2);
    expect(renewed.headers.Authorization).toMatch(/^Bearer /);
  });

  it("assumes the configured default lifetime when the response has no expires_in", async () => {
    const clock = testClock();
    const { service, clientId } = targetService({ now: clock.now, tokens: { defaultTokenTtlMs: 120_000 } });
    const created = await service.create(admin, clientId, clientCredentials());
    mock.server.onTokenResponse((response) => {
      delete (response.body as Record<string, unknown>).expires_in;
    });
    const start = mock.server.tokenRequests();
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    clock.advance(120_000 - 30_000 - 1);
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(mock.server.tokenRequests() - start).toBe(1);
    clock.advance(2);
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(mock.server.tokenRequests() - start).toBe(2);
  });

  it("keeps a very short-lived token for half its life instead of refetching on every call", async () => {
    const clock = testClock();
    const { service, clientId } = targetService({ now: clock.now });
    const created = await service.create(admin, clientId, clientCredentials());
    mock.server.onTokenResponse((response) => {
      (response.body as Record<string, unknown>).expires_in = 10;
    });
    const start = mock.server.tokenRequests();
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    clock.advance(4_999);
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(mock.server.tokenRequests() - start).toBe(1);
  });

  it("makes exactly one token request for 20 concurrent resolutions", async () => {
    const shared = memoryStore();
    let leaseAttempts = 0;
    const store: CredentialStore = {
      ...shared,
      acquireLease: (name, owner, ttlMs) => {
        leaseAttempts++;
        return shared.acquireLease(name, owner, ttlMs);
      },
    };
    const { service, clientId } = targetService({ store });
    const created = await service.create(admin, clientId, clientCredentials());
    mock.server.setTokenDelay(() => 100);
    try {
      const start = mock.server.tokenRequests();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => service.resolveTargetAuth(admin, clientId, created.credentialId)),
      );
      expect(mock.server.tokenRequests() - start).toBe(1);
      expect(new Set(results.map((r) => r.headers.Authorization)).size).toBe(1);
      expect(leaseAttempts).toBe(1); // the in-process single flight: one caller went to the store's lease
    } finally {
      mock.server.setTokenDelay(() => 0);
    }
  });

  it("fetches a new token after invalidateTargetToken, and after a secret update", async () => {
    const { service, store, clientId } = targetService();
    const created = await service.create(admin, clientId, clientCredentials());
    const start = mock.server.tokenRequests();
    const first = await service.resolveTargetAuth(admin, clientId, created.credentialId);
    await service.invalidateTargetToken(admin, clientId, created.credentialId);
    expect((await store.get(clientId, created.credentialId))?.tokenState).toBeNull();
    const second = await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(mock.server.tokenRequests() - start).toBe(2);
    expect(second.headers.Authorization).toMatch(/^Bearer /);
    expect(await service.resolveTargetAuth(admin, clientId, created.credentialId)).toEqual(second);
    expect(first).toBeDefined();

    await service.update(admin, clientId, created.credentialId, {
      secret: {
        grantType: "client_credentials",
        tokenUrl: mock.server.tokenUrl,
        clientId: "other",
        clientSecret: "s2",
      },
    });
    expect((await store.get(clientId, created.credentialId))?.tokenState).toBeNull();
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(mock.server.tokenRequests() - start).toBe(3);
    expect(mock.server.seen.at(-1)?.authorization).toBe(
      `Basic ${Buffer.from("other:s2").toString("base64")}`,
    );
  });

  it("consumes a single-use oauth2 credential once its token is in hand", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(admin, clientId, clientCredentials());
    const once = await service.create(admin, clientId, { ...clientCredentials(), singleUse: true });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => service.resolveTargetAuth(admin, clientId, once.credentialId)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    await expect(service.get(admin, clientId, once.credentialId)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await service.resolveTargetAuth(admin, clientId, created.credentialId); // the other one is untouched
  });
});

describe("token requests are outbound requests", () => {
  it("refuses a token URL on loopback unless the host is allowed", async () => {
    const { service, clientId } = targetService({ allowHosts: [] });
    const created = await service.create(admin, clientId, clientCredentials());
    const start = mock.server.tokenRequests();
    await expect(service.resolveTargetAuth(admin, clientId, created.credentialId)).rejects.toMatchObject({
      code: "OUTBOUND_REFUSED",
    });
    expect(mock.server.tokenRequests() - start).toBe(0);
  });

  it("refuses a token response larger than the size limit", async () => {
    const { service, clientId } = targetService({ maxResponseBytes: 256 });
    const created = await service.create(admin, clientId, clientCredentials());
    await expect(service.resolveTargetAuth(admin, clientId, created.credentialId)).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      message: expect.stringMatching(/larger than 256 bytes/),
    });
  });

  it("never puts a token, a client secret or a response body in an error", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(admin, clientId, clientCredentials());
    const leaks = ["LEAKED-ACCESS-TOKEN", "LEAKED-REFRESH", CLIENT_SECRET];
    const failures: [number, Record<string, unknown>][] = [
      [
        401,
        {
          error: "invalid_client",
          error_description: "bad LEAKED-ACCESS-TOKEN",
          access_token: "LEAKED-ACCESS-TOKEN",
        },
      ],
      [500, { error: `weird ${CLIENT_SECRET}`, refresh_token: "LEAKED-REFRESH" }],
      [200, { token_type: "Bearer", refresh_token: "LEAKED-REFRESH" }],
      [200, { access_token: "LEAKED-ACCESS-TOKEN\r\nX-Injected: 1" }],
    ];
    for (const [status, body] of failures) {
      mock.server.onTokenResponse((response) => {
        response.statusCode = status;
        response.body = body;
      });
      const error = await service
        .resolveTargetAuth(admin, clientId, created.credentialId)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "UPSTREAM_ERROR" });
      const text = `${String(error)} ${JSON.stringify(error)} ${String((error as Error).cause ?? "")}`;
      for (const leak of leaks) expect(text).not.toContain(leak);
    }
    // Nothing was cached from the failures: the next (normal) answer is used.
    await expect(service.resolveTargetAuth(admin, clientId, created.credentialId)).resolves.toMatchObject({
      headers: { Authorization: expect.stringMatching(/^Bearer /) },
    });
  });
});

describe("cross-process token refresh (two services over one store)", () => {
  it("never lets a holder whose lease expired overwrite the newer token (fencing by compare-and-set)", async () => {
    const shared = memoryStore();
    const releases: boolean[] = [];
    const store: CredentialStore = {
      ...shared,
      releaseLease: async (name, owner) => {
        const released = await shared.releaseLease(name, owner);
        releases.push(released);
        return released;
      },
    };
    const keyring = testKeyring();
    const tokens = { leaseTtlMs: 150 };
    const a = targetService({ store, keyring, tokens });
    const b = targetService({ store, keyring, tokens });
    const clientId = a.clientId;
    const created = await a.service.create(admin, clientId, clientCredentials());
    const numbered = numberTokens("fenced");
    // A's request is held past A's lease; B's arrives after the lease lapsed and is answered at once.
    const base = mock.server.tokenRequests();
    mock.server.setTokenDelay((n) => (n === base + 1 ? 600 : 0));
    try {
      const slow = a.service.resolveTargetAuth(admin, clientId, created.credentialId);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const fast = await b.service.resolveTargetAuth(admin, clientId, created.credentialId);
      const late = await slow;
      expect(mock.server.tokenRequests() - base).toBe(2);
      expect(fast.headers.Authorization).toBe("Bearer fenced-1");
      // A got fenced-2 from the server but found a newer token stored: it uses that one, never writes its own.
      expect(late).toEqual(fast);
      const record = await store.get(clientId, created.credentialId);
      expect(record?.version).toBe(2);
      const state = stateOf(keyring, record);
      expect(state.access.token).toBe("fenced-1");
      expect(releases).toEqual([true, false]); // B released its lease; A's had lapsed and was not its to free
      expect(numbered.issued()).toBe(2);
    } finally {
      mock.server.setTokenDelay(() => 0);
      numbered.stop();
    }
  });
});
