import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { type CredentialStore, createCredentialService, createKeyring } from "../src/index.js";

// Issue 20 item 3: one request with 64 key-like headers used to become 64 lookups (~128 Redis
// commands). The candidates are capped (32 headers, likely key names first) and all of them go to the
// store in one `findByLookups` call: a stuffed request costs one store call, like a normal one.

const admin = { userId: "alice", clientIds: "*" as const };

function setup(keys = 1, nearCacheTtlMs = 0) {
  const store = memoryStore();
  const calls: { method: string; hashes: number }[] = [];
  const counted: CredentialStore = {
    ...store,
    findByLookup(...args) {
      calls.push({ method: "findByLookup", hashes: 1 });
      return store.findByLookup(...args);
    },
    findByLookups(clientId, hashes) {
      calls.push({ method: "findByLookups", hashes: hashes.length });
      return store.findByLookups(clientId, hashes);
    },
  };
  const keyring = createKeyring({
    activeKeyId: "k1",
    keys: Array.from({ length: keys }, (_, i) => ({ id: `k${i + 1}`, key: randomBytes(32) })),
  });
  const service = createCredentialService({
    regions: { "eu-west-1": counted },
    keyring,
    defaultRegion: "eu-west-1",
    nearCache: { ttlMs: nearCacheTtlMs },
  });
  const since = () => {
    const start = calls.length;
    return () => calls.slice(start);
  };
  return { service, clientId: `c-${randomUUID()}`, since };
}

const stuffed = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`x-key-${i}`, `guess-${i}`]));

describe("bounded work per verification", () => {
  it("sends a request stuffed with 64 key-like headers to the store in one call of 32 hashes", async () => {
    const { service, clientId, since } = setup();
    const key = `key-${randomUUID()}`;
    await service.create(admin, clientId, {
      credentialName: "partner",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: key },
    });
    let calls = since();
    expect(await service.verifyProxyRequest(admin, clientId, { headers: stuffed })).toMatchObject({
      ok: false,
    });
    expect(calls()).toStrictEqual([{ method: "findByLookups", hashes: 32 }]);
    // A normal request: one call too.
    calls = since();
    const normal = { "x-api-key": key, "user-agent": "curl/8", accept: "*/*" };
    expect(await service.verifyProxyRequest(admin, clientId, { headers: normal })).toMatchObject({
      ok: true,
    });
    expect(calls()).toStrictEqual([{ method: "findByLookups", hashes: 1 }]);
  });

  it("while two keys rotate, a stuffed request with a bearer token is one call per lookup round", async () => {
    const { service, clientId, since } = setup(2);
    const calls = since();
    const headers = { ...stuffed, authorization: "Bearer not-a-jwt" };
    expect(await service.verifyProxyRequest(admin, clientId, { headers })).toMatchObject({ ok: false });
    // 33 values (bearer + 32 headers) under 2 keys; a miss with two keys looks once more (rotation).
    expect(calls()).toStrictEqual([
      { method: "findByLookups", hashes: 66 },
      { method: "findByLookups", hashes: 66 },
    ]);
  });

  it("with the near cache on, only the values it lacks go to the store, in one call", async () => {
    const { service, clientId, since } = setup(1, 60_000);
    const key = `key-${randomUUID()}`;
    await service.create(admin, clientId, {
      credentialName: "partner",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: key },
    });
    let calls = since();
    expect(
      await service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": key } }),
    ).toMatchObject({
      ok: true,
    });
    expect(calls()).toStrictEqual([{ method: "findByLookups", hashes: 1 }]);
    // The key is a cached verdict now: three new values beside it are the only ones asked, together.
    calls = since();
    const headers = { "x-api-key": key, "x-key-1": "a", "x-key-2": "b", "x-key-3": "c" };
    expect(await service.verifyProxyRequest(admin, clientId, { headers })).toMatchObject({ ok: true });
    expect(calls()).toStrictEqual([{ method: "findByLookups", hashes: 3 }]);
    // Everything cached (verdicts and misses alike): no store call at all.
    calls = since();
    expect(await service.verifyProxyRequest(admin, clientId, { headers })).toMatchObject({ ok: true });
    expect(calls()).toStrictEqual([]);
  });
});
