// Revocation by construction: a write that revokes (delete, deny, new secret, switch to single use)
// returns only once no process can serve a verdict read before it, whether or not the invalidation
// reached the other process. The channels here lose every message, as a pub/sub that is slow, cut off
// or frozen would: what still holds is what the write itself waited for.
import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type Actor,
  type CreateCredentialInput,
  type CredentialStore,
  createCredentialService,
  createKeyring,
  createNearCache,
  type InvalidationChannel,
  type InvalidationListener,
} from "../src/index.js";

const admin: Actor = { userId: "alice", clientIds: "*", scopes: [] };
const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
// Short, on the real clock: the writes below wait it out when nothing confirms.
const TTL = 300;

/** A channel whose subscriptions succeed but which delivers nothing, confirming nothing. */
function deafChannel(): InvalidationChannel {
  return {
    publish: async () => false,
    subscribe: async () => async () => undefined,
  };
}

/** Two processes over one store; each has its own near cache (and channel, when given one). */
function twoProcesses(channel?: () => InvalidationChannel) {
  const store: CredentialStore = memoryStore();
  const make = () => {
    const cache = createNearCache({ ttlMs: TTL, ...(channel ? { channel: channel() } : {}) });
    const service = createCredentialService({
      regions: { "eu-west-1": { ...store, name: "shared" } },
      keyring,
      defaultRegion: "eu-west-1",
      nearCache: cache,
    });
    return { service, cache };
  };
  return { a: make(), b: make(), clientId: `c-${randomUUID()}` };
}

type Process = ReturnType<typeof twoProcesses>["a"];
const verify = (p: Process, clientId: string, key: string) =>
  p.service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": key } });
const apiKey = (keyValue: string): CreateCredentialInput => ({
  credentialName: "k",
  credentialType: "proxy",
  authType: "apiKey",
  secret: { keyName: "X-Api-Key", keyValue },
});

/** Creates a multi-use key on `a` and lets `b` cache its positive verdict (a hit proves it). */
async function cachedOnB(p: ReturnType<typeof twoProcesses>, key: string) {
  const created = await p.a.service.create(admin, p.clientId, apiKey(key));
  expect(await verify(p.b, p.clientId, key)).toMatchObject({ ok: true });
  const hits = p.b.cache.stats.hits;
  expect(await verify(p.b, p.clientId, key)).toMatchObject({ ok: true });
  expect(p.b.cache.stats.hits).toBe(hits + 1);
  return created.credentialId;
}

/** Subscriptions land asynchronously: until they do, a cache with a channel holds nothing. */
const subscribed = () => new Promise((resolve) => setImmediate(resolve));

describe("revocation when the other process never hears", () => {
  it("an unconfirmed delete, deny or new secret returns only after every older verdict expired", async () => {
    const p = twoProcesses(deafChannel);
    await subscribed();
    const revocations: [string, (id: string) => Promise<unknown>, string][] = [
      ["delete", (id) => p.a.service.delete(admin, p.clientId, id), "NO_CREDENTIAL"],
      [
        "deny",
        (id) => p.a.service.update(admin, p.clientId, id, { credentialDefaultRuleEffect: "deny" }),
        "DENIED",
      ],
      [
        "new secret",
        (id) =>
          p.a.service.update(admin, p.clientId, id, {
            secret: { keyName: "X-Api-Key", keyValue: randomBytes(16).toString("hex") },
          }),
        "NO_CREDENTIAL",
      ],
    ];
    for (const [, revoke, reason] of revocations) {
      const key = randomBytes(16).toString("hex");
      const id = await cachedOnB(p, key);
      await revoke(id);
      expect(await verify(p.b, p.clientId, key)).toEqual({ ok: false, reason });
    }
  });

  it("a switch to single use, even without any channel, leaves exactly one use", async () => {
    const p = twoProcesses();
    const key = randomBytes(16).toString("hex");
    const id = await cachedOnB(p, key);
    await p.a.service.update(admin, p.clientId, id, { singleUse: true });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => verify(i % 2 ? p.a : p.b, p.clientId, key)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it("a write that fails answers at once: its caller was promised nothing (the store down, say)", async () => {
    const store = memoryStore();
    const cache = createNearCache({ ttlMs: 60_000, channel: deafChannel() });
    const service = createCredentialService({
      regions: {
        "eu-west-1": {
          ...store,
          name: "failing",
          delete: async () => {
            throw new Error("store unreachable");
          },
        },
      },
      keyring,
      defaultRegion: "eu-west-1",
      nearCache: cache,
    });
    const clientId = `c-${randomUUID()}`;
    const created = await service.create(admin, clientId, apiKey(randomBytes(16).toString("hex")));
    // Waiting out the 60 s bound would outlast the test's own timeout.
    await expect(service.delete(admin, clientId, created.credentialId)).rejects.toThrow();
  });

  it("a cache with a channel holds nothing until subscribed, nor after the subscription drops", async () => {
    let listener: InvalidationListener | undefined;
    let land: () => void = () => undefined;
    const channel: InvalidationChannel = {
      publish: async () => false,
      subscribe: (l) =>
        new Promise((resolve) => {
          listener = l;
          land = () => resolve(async () => undefined);
        }),
    };
    const cache = createNearCache({ ttlMs: 60_000, channel });
    cache.set("acme\nh", "acme", null, cache.generation("acme"));
    expect(cache.get("acme\nh")).toBeUndefined();
    // A read that began before the subscription landed may predate a write it did not hear of.
    const early = cache.generation("acme");
    land();
    await subscribed();
    cache.set("acme\nh", "acme", null, early);
    expect(cache.get("acme\nh")).toBeUndefined();
    cache.set("acme\nh", "acme", null, cache.generation("acme"));
    expect(cache.get("acme\nh")).toBeNull();
    listener?.reset(false);
    expect(cache.get("acme\nh")).toBeUndefined();
    cache.set("acme\nh", "acme", null, cache.generation("acme"));
    expect(cache.get("acme\nh")).toBeUndefined();
  });

  it("a verdict lives ttlMs from the start of its read, not from its arrival", () => {
    let time = 1_000;
    const cache = createNearCache({ ttlMs: 100, now: () => time });
    const readAt = cache.generation("acme");
    time += 60; // a slow store read
    cache.set("acme\nh", "acme", null, readAt);
    time += 39;
    expect(cache.get("acme\nh")).toBeNull();
    time += 1;
    expect(cache.get("acme\nh")).toBeUndefined();
  });
});
