import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { type CredentialStore, createCredentialService, createKeyring } from "../src/index.js";

// Issue 20 item 3: one request with 64 key-like headers used to become 64 lookups (~128 Redis
// commands). The candidates looked up per request are capped, likely key names first.

const admin = { userId: "alice", clientIds: "*" as const };

function setup() {
  const store = memoryStore();
  let lookups = 0;
  const counted: CredentialStore = {
    ...store,
    findByLookup(...args) {
      lookups++;
      return store.findByLookup(...args);
    },
  };
  const service = createCredentialService({
    regions: { "eu-west-1": counted },
    keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
    defaultRegion: "eu-west-1",
    nearCache: { ttlMs: 0 },
  });
  return { service, clientId: `c-${randomUUID()}`, lookups: () => lookups };
}

describe("bounded work per verification", () => {
  it("looks up at most 16 candidates for a request stuffed with 64 key-like headers", async () => {
    const { service, clientId, lookups } = setup();
    const key = `key-${randomUUID()}`;
    await service.create(admin, clientId, {
      credentialName: "partner",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: key },
    });
    const stuffed = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`x-key-${i}`, `guess-${i}`]));
    let before = lookups();
    expect(await service.verifyProxyRequest(admin, clientId, { headers: stuffed })).toMatchObject({
      ok: false,
    });
    expect(lookups() - before).toBe(16);
    // A normal request: one lookup.
    before = lookups();
    const normal = { "x-api-key": key, "user-agent": "curl/8", accept: "*/*" };
    expect(await service.verifyProxyRequest(admin, clientId, { headers: normal })).toMatchObject({
      ok: true,
    });
    expect(lookups() - before).toBe(1);
  });
});
