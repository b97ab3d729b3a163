import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type Actor,
  type CredentialStore,
  createCredentialService,
  createKeyring,
  createNearCache,
  type StoredCredential,
} from "../src/index.js";
import { storedRecord } from "./stored-record.js";

// The verifier's own checks, each shown alone: what it does with a record a store returns for a hash
// of another kind (the lookup value's prefix keeps kinds apart, so only a store that answers wrongly
// can show it), how many round trips it makes, and which store wins when several answer.
const admin: Actor = { userId: "alice", clientIds: "*", scopes: [] };
const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });

/** A store whose findByLookups answers `answer(hashes)` instead of looking, counting its calls. */
function answering(answer: (hashes: readonly string[]) => (StoredCredential | null)[]) {
  const base = memoryStore();
  const calls: (readonly string[])[] = [];
  const store: CredentialStore = {
    ...base,
    findByLookups: async (_clientId, hashes) => {
      calls.push(hashes);
      return answer(hashes);
    },
  };
  return { store, calls };
}

const verifier = (regions: Record<string, CredentialStore>) =>
  createCredentialService({ regions, keyring, defaultRegion: Object.keys(regions)[0] as string });

describe("the verifier's checks on what the stores answer", () => {
  it("takes a record only for a presented value of a kind its auth type can be", async () => {
    const clientId = `c-${randomUUID()}`;
    for (const authType of ["apiKey", "basicAuth", "jwtVerify"] as const) {
      const { store } = answering((hashes) => hashes.map(() => storedRecord({ clientId, authType })));
      const verdict = await verifier({ "eu-west-1": store }).verifyProxyRequest(admin, clientId, {
        headers: { authorization: "Bearer opaque-token-0123" },
      });
      expect(verdict, authType).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    }
    const { store } = answering((hashes) => hashes.map(() => storedRecord({ clientId, authType: "jwt" })));
    expect(
      await verifier({ "eu-west-1": store }).verifyProxyRequest(admin, clientId, {
        headers: { authorization: "Bearer opaque-token-0123" },
      }),
    ).toMatchObject({ ok: true });
  });

  it("takes a record found by a token's issuer only when it is a jwtVerify credential", async () => {
    const clientId = `c-${randomUUID()}`;
    // A JWT with an issuer: the token's own hash answers nothing, the issuer's a bearer record.
    const jwt = `${Buffer.from('{"alg":"HS256"}').toString("base64url")}.${Buffer.from('{"iss":"https://i.example"}').toString("base64url")}.c2ln`;
    const { store, calls } = answering((hashes) =>
      hashes.map((_, i) => (i === hashes.length - 1 ? storedRecord({ clientId, authType: "bearer" }) : null)),
    );
    expect(
      await verifier({ "eu-west-1": store }).verifyProxyRequest(admin, clientId, {
        headers: { authorization: `Bearer ${jwt}` },
      }),
    ).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    expect(calls).toHaveLength(1); // the token and its issuer, in one round trip
    expect(calls[0]).toHaveLength(2);
  });

  it("asks no store when nothing is presented, and a miss once with one key", async () => {
    const clientId = `c-${randomUUID()}`;
    const { store, calls } = answering((hashes) => hashes.map(() => null));
    const service = verifier({ "eu-west-1": store });
    expect(
      await service.verifyProxyRequest(admin, clientId, { headers: { "user-agent": "curl/8" } }),
    ).toEqual({
      ok: false,
      reason: "NO_CREDENTIAL",
    });
    expect(calls).toHaveLength(0);
    await service.verifyProxyRequest(admin, clientId, {
      headers: { authorization: "Bearer opaque-token-0123" },
    });
    expect(calls).toHaveLength(1);
  });

  it("with several keys, looks a second time only after a miss", async () => {
    const clientId = `c-${randomUUID()}`;
    const twoKeys = createKeyring({
      activeKeyId: "k2",
      keys: [
        { id: "k1", key: randomBytes(32) },
        { id: "k2", key: randomBytes(32) },
      ],
    });
    const { store, calls } = answering((hashes) =>
      hashes.map(() => storedRecord({ clientId, authType: "bearer" })),
    );
    const service = createCredentialService({
      regions: { "eu-west-1": store },
      keyring: twoKeys,
      defaultRegion: "eu-west-1",
    });
    expect(
      await service.verifyProxyRequest(admin, clientId, {
        headers: { authorization: "Bearer opaque-token-0123" },
      }),
    ).toMatchObject({ ok: true });
    expect(calls).toHaveLength(1);
  });

  it("finds a credential held by any region's store, the first store's answer first", async () => {
    const clientId = `c-${randomUUID()}`;
    const first = storedRecord({ clientId, authType: "bearer" });
    const second = storedRecord({ clientId, authType: "bearer" });
    const empty = answering((hashes) => hashes.map(() => null));
    const holding = answering((hashes) => hashes.map(() => second));
    const service = verifier({ "eu-west-1": empty.store, "us-east-1": holding.store });
    const headers = { authorization: "Bearer opaque-token-0123" };
    expect(await service.verifyProxyRequest(admin, clientId, { headers })).toMatchObject({
      ok: true,
      credential: { credentialId: second.credentialId },
    });
    const both = verifier({
      "eu-west-1": answering((hashes) => hashes.map(() => first)).store,
      "us-east-1": holding.store,
    });
    expect(await both.verifyProxyRequest(admin, clientId, { headers })).toMatchObject({
      credential: { credentialId: first.credentialId },
    });
  });
});

describe("the near cache's index of a client's verdicts", () => {
  it("drops every verdict of a client on its invalidation, however many it holds", () => {
    const cache = createNearCache({ ttlMs: 100, now: () => 0 });
    for (const key of ["a", "b", "c"]) cache.set(key, "client", null, cache.generation("client"));
    cache.set("d", "other", null, cache.generation("other"));
    cache.invalidate({ clientId: "client", credentialId: "x" });
    for (const key of ["a", "b", "c"]) expect(cache.get(key), key).toBeUndefined();
    expect(cache.get("d")).toBeNull();
  });

  it("counts nothing while it is off", () => {
    const cache = createNearCache({ ttlMs: 0, now: () => 0 });
    cache.set("a", "client", null, cache.generation("client"));
    expect(cache.get("a")).toBeUndefined();
    expect(cache.stats).toEqual({ hits: 0, misses: 0, invalidations: 0 });
  });
});
