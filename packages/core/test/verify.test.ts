import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore, proxy } from "@credkit/test-support";
import { describe, expect, it, vi } from "vitest";
import {
  type Actor,
  type CredentialStore,
  createCredentialService,
  createKeyring,
  type Keyring,
} from "../src/index.js";

const admin: Actor = { userId: "alice", clientIds: "*", scopes: ["resolve"] };
const k1 = { id: "k1", key: randomBytes(32) };
const k2 = { id: "k2", key: randomBytes(32) };

function setup(options: { store?: CredentialStore; keyring?: Keyring } = {}) {
  const store = options.store ?? memoryStore();
  const keyring = options.keyring ?? createKeyring({ activeKeyId: "k1", keys: [k1] });
  const service = createCredentialService({
    regions: { "eu-west-1": store },
    keyring,
    defaultRegion: "eu-west-1",
  });
  return { service, store, keyring, clientId: `c-${randomUUID()}` };
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("verifyProxyRequest", () => {
  it("verifies apiKey by its header, in any letter case, and nothing else", async () => {
    const { service, clientId } = setup();
    const created = await service.create(
      admin,
      clientId,
      proxy("apiKey", { keyName: "X-Api-Key", keyValue: "k-1-0123456789abc" }),
    );
    const ok = await service.verifyProxyRequest(admin, clientId, {
      headers: { "x-api-key": "k-1-0123456789abc" },
    });
    expect(ok).toEqual({ ok: true, credential: created });
    expect(
      await service.verifyProxyRequest(admin, clientId, { headers: { "X-API-KEY": "k-1-0123456789abc" } }),
    ).toMatchObject({
      ok: true,
    });
    expect(await service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": "k-2" } })).toEqual({
      ok: false,
      reason: "NO_CREDENTIAL",
    });
    expect(
      await service.verifyProxyRequest(admin, clientId, { headers: { "x-other-key": "k-1-0123456789abc" } }),
    ).toMatchObject({
      ok: false,
    });
    expect(
      await service.verifyProxyRequest(admin, `${clientId}-other`, {
        headers: { "x-api-key": "k-1-0123456789abc" },
      }),
    ).toMatchObject({
      ok: false,
    });
    expect(await service.verifyProxyRequest(admin, clientId, { headers: {} })).toEqual({
      ok: false,
      reason: "NO_CREDENTIAL",
    });
  });

  it("turns whatever fails while reading the request into a rejection, never a throw", async () => {
    const { service, clientId } = setup();
    const unreadable = {
      get headers(): never {
        throw new TypeError("unreadable headers");
      },
    };
    await expect(service.verifyProxyRequest(admin, clientId, unreadable)).rejects.toThrow(
      "unreadable headers",
    );
    const gateway: Actor = { userId: "gw", clientIds: "*", scopes: ["authz"] };
    expect(await service.authorizeProxyRequest(gateway, clientId, unreadable)).toMatchObject({
      allowed: false,
      reason: "INTERNAL",
    });
  });

  it("verifies bearer, jwt and basicAuth through the Authorization header", async () => {
    const { service, clientId } = setup();
    await service.create(admin, clientId, proxy("bearer", { token: "opaque-token-0123" }));
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    await service.create(admin, clientId, proxy("jwt", { token: jwt }));
    await service.create(
      admin,
      clientId,
      proxy("basicAuth", { username: "svc", password: "pa:ss-0123456789a" }),
    );
    const verify = (authorization: string) =>
      service.verifyProxyRequest(admin, clientId, { headers: { authorization } });
    expect(await verify("Bearer opaque-token-0123")).toMatchObject({
      ok: true,
      credential: { credentialAuthType: "bearer" },
    });
    expect(await verify("bearer opaque-token-0123")).toMatchObject({ ok: true });
    expect(await verify(`Bearer ${jwt}`)).toMatchObject({
      ok: true,
      credential: { credentialAuthType: "jwt" },
    });
    expect(await verify(basic("svc", "pa:ss-0123456789a"))).toMatchObject({
      ok: true,
      credential: { credentialAuthType: "basicAuth" },
    });
    expect(await verify(basic("svc", "wrong"))).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    expect(await verify("Bearer other")).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    // The bearer token presented as a Basic password is a different credential.
    expect(await verify(basic("x", "opaque-token-0123"))).toMatchObject({ ok: false });
  });

  it("never verifies target credentials, deny ones, or temporary ones", async () => {
    const { service, store, clientId } = setup();
    await service.create(admin, clientId, {
      credentialName: "t",
      credentialType: "target",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: "target-key-012345" },
    });
    expect(
      await service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": "target-key-012345" } }),
    ).toMatchObject({
      ok: false,
    });
    await service.create(
      admin,
      clientId,
      proxy("bearer", { token: "denied-0123456789" }, { credentialDefaultRuleEffect: "deny" }),
    );
    expect(
      await service.verifyProxyRequest(admin, clientId, {
        headers: { authorization: "Bearer denied-0123456789" },
      }),
    ).toEqual({
      ok: false,
      reason: "DENIED",
    });
    const temp = await service.create(admin, clientId, proxy("bearer", { token: "pending-012345678" }));
    const record = await store.get(clientId, temp.credentialId);
    if (!record) throw new Error("missing record");
    await store.update({ ...record, temporary: true, expiresAt: Date.now() + 60_000, version: 2 }, 1);
    expect(
      await service.verifyProxyRequest(admin, clientId, {
        headers: { authorization: "Bearer pending-012345678" },
      }),
    ).toEqual({
      ok: false,
      reason: "INVALID",
    });
  });

  it("consumes a single-use credential exactly once under 20 concurrent verifications", async () => {
    const { service, clientId } = setup();
    await service.create(
      admin,
      clientId,
      proxy("apiKey", { keyName: "X-Key", keyValue: "once-0123456789ab" }, { singleUse: true }),
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        service.verifyProxyRequest(admin, clientId, { headers: { "x-key": "once-0123456789ab" } }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect((await service.list(admin, clientId)).credentials).toHaveLength(0);
    expect(
      await service.verifyProxyRequest(admin, clientId, { headers: { "x-key": "once-0123456789ab" } }),
    ).toMatchObject({
      ok: false,
    });
  });

  it("follows secret changes and deletes", async () => {
    const { service, clientId } = setup();
    const { credentialId } = await service.create(
      admin,
      clientId,
      proxy("bearer", { token: "old-0123456789abc" }),
    );
    await service.update(admin, clientId, credentialId, { secret: { token: "new-0123456789abc" } });
    const verify = (token: string) =>
      service.verifyProxyRequest(admin, clientId, { headers: { authorization: `Bearer ${token}` } });
    expect(await verify("old-0123456789abc")).toMatchObject({ ok: false });
    expect(await verify("new-0123456789abc")).toMatchObject({ ok: true });
    await service.delete(admin, clientId, credentialId);
    expect(await verify("new-0123456789abc")).toMatchObject({ ok: false });
  });

  it("keeps verifying records hashed under an older key after the active key changes", async () => {
    const store = memoryStore();
    const before = setup({ store, keyring: createKeyring({ activeKeyId: "k1", keys: [k1] }) });
    await before.service.create(
      admin,
      before.clientId,
      proxy("apiKey", { keyName: "X-Key", keyValue: "rotating-01234567" }),
    );
    const after = createCredentialService({
      regions: { "eu-west-1": store },
      keyring: createKeyring({ activeKeyId: "k2", keys: [k1, k2] }),
    });
    expect(
      await after.verifyProxyRequest(admin, before.clientId, { headers: { "x-key": "rotating-01234567" } }),
    ).toMatchObject({ ok: true });
  });

  it("decrypts nothing and costs the same lookups for 1 or 1,000 credentials", async () => {
    const small = setup();
    const large = setup();
    await small.service.create(
      admin,
      small.clientId,
      proxy("apiKey", { keyName: "X-Key", keyValue: "v-long-enough-k-0" }),
    );
    for (let i = 0; i < 1000; i++) {
      await large.service.create(
        admin,
        large.clientId,
        proxy("apiKey", { keyName: "X-Key", keyValue: `v-long-enough-k-${i}` }),
      );
    }
    const count = async (s: ReturnType<typeof setup>) => {
      const lookups = vi.spyOn(s.store, "findByLookup");
      const decrypts = vi.spyOn(s.keyring, "decrypt");
      const list = vi.spyOn(s.store, "list");
      const result = await s.service.verifyProxyRequest(admin, s.clientId, {
        headers: { "x-key": "v-long-enough-k-0", "user-agent": "curl/8", accept: "*/*" },
      });
      expect(result.ok).toBe(true);
      expect(decrypts).not.toHaveBeenCalled();
      expect(list).not.toHaveBeenCalled();
      return lookups.mock.calls.length;
    };
    expect(await count(large)).toBe(await count(small));
  });
});
