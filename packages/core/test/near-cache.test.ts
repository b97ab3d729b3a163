import { randomBytes, randomUUID } from "node:crypto";
import { type CreateExtras, memoryStore } from "@credkit/test-support";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import {
  type Actor,
  apiKeyLookupValue,
  type CreateCredentialInput,
  type CredentialStore,
  createCredentialService,
  createKeyring,
  createNearCache,
  defineCredentialStore,
  type InvalidationChannel,
  type InvalidationListener,
  type NearCache,
  type StoredCredential,
} from "../src/index.js";

const admin: Actor = { userId: "alice", clientIds: "*", scopes: [] };
const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
const TTL = 5000;

/** An in-process stand-in for Redis pub/sub: every subscriber hears every publish. */
function bus() {
  const listeners = new Set<InvalidationListener>();
  const channel: InvalidationChannel = {
    // Every listener has dropped the client when this returns: confirmed.
    async publish(event) {
      for (const listener of listeners) listener.invalidate(event);
      return true;
    },
    async subscribe(listener) {
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
      };
    },
  };
  const drop = () => {
    for (const listener of listeners) listener.reset(false);
  };
  return { channel, drop };
}

/** A store that counts lookups, so a test can tell a cache hit from a store read. */
function counting(store: CredentialStore, counts = { findByLookup: 0 }) {
  const wrapped: CredentialStore = {
    ...store,
    name: "counted",
    create: (r) => store.create(r),
    get: (c, i) => store.get(c, i),
    list: (c, o) => store.list(c, o),
    update: (n, v, p) => store.update(n, v, p),
    delete: (c, i) => store.delete(c, i),
    consume: (c, i) => store.consume(c, i),
    scan: (o) => store.scan(o),
    findByLookup(clientId, hash) {
      counts.findByLookup++;
      return store.findByLookup(clientId, hash);
    },
    // Counted per hash: a batch of misses reads as many lookups as it carries.
    findByLookups(clientId, hashes) {
      counts.findByLookup += hashes.length;
      return store.findByLookups(clientId, hashes);
    },
  };
  return { store: wrapped, counts };
}

/**
 * One process's own store object over records shared with the others, as two processes each build a
 * Redis store over one server: its write hooks are its own (a write announces to this process only).
 */
function processStore(shared: CredentialStore): CredentialStore {
  const paged = async (read: Promise<{ items: StoredCredential[]; cursor: string | null }>) => {
    const page = await read;
    return { items: page.items, next: page.cursor === null ? null : [page.cursor] };
  };
  return defineCredentialStore({
    name: shared.name,
    create: (record, events) => shared.create(record, events),
    get: (clientId, credentialId) => shared.get(clientId, credentialId),
    list: (clientId, { limit, after, includeTemporary }) =>
      paged(shared.list(clientId, { limit, cursor: after?.[0], includeTemporary })),
    scan: ({ limit, after }) => paged(shared.scan({ limit, cursor: after?.[0] })),
    update: (next, expected, previous, events) => shared.update(next, expected, previous, events),
    delete: (clientId, credentialId, events) => shared.delete(clientId, credentialId, events),
    consume: (clientId, credentialId, events) => shared.consume(clientId, credentialId, events),
    pendingEvents: (limit) => shared.pendingEvents(limit),
    removePendingEvents: (events) => shared.removePendingEvents(events),
    findByLookup: (clientId, hash) => shared.findByLookup(clientId, hash),
    findByLookups: (clientId, hashes) => shared.findByLookups(clientId, hashes),
    acquireLease: (name, owner, ttlMs) => shared.acquireLease(name, owner, ttlMs),
    releaseLease: (name, owner) => shared.releaseLease(name, owner),
    ping: () => shared.ping(),
    close: () => shared.close(),
  });
}

/** Two "processes" (services with their own caches and store objects) over one store's records, with a clock the test moves. */
function twoProcesses(options: { channel?: InvalidationChannel; keyring?: typeof keyring } = {}) {
  let time = 1_000_000;
  const now = () => time;
  const records = memoryStore();
  const counts = { findByLookup: 0 };
  const make = () => {
    const shared = counting(processStore(records), counts);
    const cache = createNearCache({
      ttlMs: TTL,
      now,
      ...(options.channel ? { channel: options.channel } : {}),
    });
    const service = createCredentialService({
      regions: { "eu-west-1": shared.store },
      keyring: options.keyring ?? keyring,
      defaultRegion: "eu-west-1",
      nearCache: cache,
      now,
    });
    return { service, cache };
  };
  return {
    a: make(),
    b: make(),
    counts,
    advance: (ms: number) => {
      time += ms;
    },
    clientId: `c-${randomUUID()}`,
  };
}

const apiKey = (keyValue: string, extra: CreateExtras = {}): CreateCredentialInput => ({
  credentialName: "k",
  credentialType: "proxy",
  authType: "apiKey",
  secret: { keyName: "X-Api-Key", keyValue },
  ...extra,
});
const verify = (
  p: { service: ReturnType<typeof twoProcesses>["a"]["service"] },
  clientId: string,
  key: string,
) => p.service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": key } });

describe("near cache", () => {
  it("re-checks a cached miss against the stores while keys rotate (its invalidation may be in flight)", async () => {
    // Two keys: a rotation is under way, and re-encryption moves lookup entries between their hashes.
    const rotating = createKeyring({
      activeKeyId: "k2",
      keys: [
        { id: "k1", key: randomBytes(32) },
        { id: "k2", key: randomBytes(32) },
      ],
    });
    // No channel: b hears nothing of a's writes, as when an invalidation has not arrived yet.
    const { a, b, clientId } = twoProcesses({ keyring: rotating });
    expect(await verify(b, clientId, "moving-key-long-enough")).toEqual({
      ok: false,
      reason: "NO_CREDENTIAL",
    });
    await a.service.create(admin, clientId, apiKey("moving-key-long-enough"));
    expect(await verify(b, clientId, "moving-key-long-enough")).toMatchObject({ ok: true });
  });

  it("answers a repeated verification without a store read, and holds no secret material", async () => {
    const { a, counts, clientId } = twoProcesses();
    const created = await a.service.create(admin, clientId, apiKey("value-long-enough-1"));
    expect(await verify(a, clientId, "value-long-enough-1")).toEqual({ ok: true, credential: created });
    const reads = counts.findByLookup;
    expect(await verify(a, clientId, "value-long-enough-1")).toEqual({ ok: true, credential: created });
    expect(counts.findByLookup).toBe(reads);
    expect(a.cache.stats).toMatchObject({ hits: 1 });
    const entry = a.cache.get(
      `${clientId}\n${keyring.lookupHash(apiKeyLookupValue("X-Api-Key", "value-long-enough-1"))}`,
    );
    expect(entry?.record).toMatchObject({ secret: "", tokenState: null, version: 1 });
    expect(JSON.stringify(entry?.record)).not.toContain("value-long-enough-1");
  });

  it("without a channel, serves another process's revoked credential for at most the bound", async () => {
    const { a, b, clientId, advance } = twoProcesses();
    const created = await a.service.create(admin, clientId, apiKey("value-long-enough-2"));
    expect(await verify(b, clientId, "value-long-enough-2")).toMatchObject({ ok: true });
    await a.service.delete(admin, clientId, created.credentialId);
    // The writer's own cache is dropped at once; the other process's lives until its bound.
    expect(await verify(a, clientId, "value-long-enough-2")).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    advance(TTL - 1);
    expect(await verify(b, clientId, "value-long-enough-2")).toMatchObject({ ok: true });
    advance(1);
    expect(await verify(b, clientId, "value-long-enough-2")).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
  });

  it("with a channel, drops every process's verdict on update, deny, delete and create", async () => {
    const { channel } = bus();
    const { a, b, clientId } = twoProcesses({ channel });
    await Promise.resolve();
    const created = await a.service.create(admin, clientId, apiKey("value-long-enough-3"));
    expect(await verify(b, clientId, "value-long-enough-3")).toMatchObject({ ok: true });
    const renamed = await a.service.update(admin, clientId, created.credentialId, {
      credentialName: "renamed",
    });
    expect(await verify(b, clientId, "value-long-enough-3")).toEqual({ ok: true, credential: renamed });
    await a.service.update(admin, clientId, created.credentialId, { credentialDefaultRuleEffect: "deny" });
    expect(await verify(b, clientId, "value-long-enough-3")).toEqual({ ok: false, reason: "DENIED" });
    await a.service.update(admin, clientId, created.credentialId, {
      secret: { keyName: "X-Api-Key", keyValue: "value-long-enough-4" },
    });
    await a.service.update(admin, clientId, created.credentialId, { credentialDefaultRuleEffect: "allow" });
    expect(await verify(b, clientId, "value-long-enough-3")).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    expect(await verify(b, clientId, "value-long-enough-4")).toMatchObject({ ok: true });
    await a.service.delete(admin, clientId, created.credentialId);
    expect(await verify(b, clientId, "value-long-enough-4")).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    // A negative verdict is dropped by a create: the new credential verifies at once everywhere.
    expect(await verify(b, clientId, "value-long-enough-5")).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    await a.service.create(admin, clientId, apiKey("value-long-enough-5"));
    expect(await verify(b, clientId, "value-long-enough-5")).toMatchObject({ ok: true });
  });

  it("never caches a single-use credential: exactly one use across processes", async () => {
    const { a, b, clientId, counts } = twoProcesses();
    await a.service.create(admin, clientId, apiKey("once-long-enough-key", { singleUse: true }));
    const results = await Promise.all([
      verify(a, clientId, "once-long-enough-key"),
      verify(b, clientId, "once-long-enough-key"),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const reads = counts.findByLookup;
    expect(await verify(b, clientId, "once-long-enough-key")).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    expect(counts.findByLookup).toBe(reads + 1);
  });

  it("caches a jwtVerify verdict with its configuration, and drops both on deny and delete", async () => {
    const { channel } = bus();
    const { a, b, clientId, counts } = twoProcesses({ channel });
    const key = randomBytes(32).toString("hex");
    const created = await a.service.create(admin, clientId, {
      credentialName: "hs",
      credentialType: "proxy",
      authType: "jwtVerify",
      secret: { algorithms: ["HS256"], issuer: "https://hs.example", audience: "api", secret: key },
    });
    const jwt = await new SignJWT({ aud: "api" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("https://hs.example")
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(key));
    const verifyJwt = () =>
      b.service.verifyProxyRequest(admin, clientId, { headers: { authorization: `Bearer ${jwt}` } });
    expect(await verifyJwt()).toMatchObject({ ok: true });
    const reads = counts.findByLookup;
    expect(await verifyJwt()).toMatchObject({ ok: true });
    expect(counts.findByLookup).toBe(reads);
    await a.service.update(admin, clientId, created.credentialId, { credentialDefaultRuleEffect: "deny" });
    expect(await verifyJwt()).toEqual({ ok: false, reason: "DENIED" });
    await a.service.delete(admin, clientId, created.credentialId);
    expect(await verifyJwt()).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
  });

  it("drops everything when the subscription is reset, so missed events cannot leave a stale verdict", async () => {
    const shared = bus();
    const { a, b, clientId, counts } = twoProcesses({ channel: shared.channel });
    await a.service.create(admin, clientId, apiKey("value-long-enough-6"));
    await verify(b, clientId, "value-long-enough-6");
    shared.drop();
    const reads = counts.findByLookup;
    await verify(b, clientId, "value-long-enough-6");
    expect(counts.findByLookup).toBe(reads + 1);
  });

  it("does not cache a read that an invalidation overtook", () => {
    const cache: NearCache = createNearCache({ ttlMs: TTL });
    const readAt = cache.generation("acme");
    cache.invalidate({ clientId: "acme", credentialId: "x" });
    cache.set("acme\nh", "acme", null, readAt);
    expect(cache.get("acme\nh")).toBeUndefined();
    cache.set("acme\nh", "acme", null, cache.generation("acme"));
    expect(cache.get("acme\nh")).toBeNull();
  });

  it("is off with ttlMs 0 and by default over memory stores", async () => {
    expect(createNearCache({ ttlMs: 0 }).enabled).toBe(false);
    const shared = counting(memoryStore());
    const service = createCredentialService({
      regions: { "eu-west-1": { ...shared.store, name: "memory" } },
      keyring,
      defaultRegion: "eu-west-1",
    });
    const clientId = `c-${randomUUID()}`;
    await service.create(admin, clientId, apiKey("value-long-enough-7"));
    await service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": "value-long-enough-7" } });
    await service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": "value-long-enough-7" } });
    expect(shared.counts.findByLookup).toBe(2);
  });

  it("close() stops a subscription that lands after it (the subscriber connection would keep the process up)", async () => {
    let land: (stop: () => Promise<void>) => void = () => undefined;
    let stopped = 0;
    const channel: InvalidationChannel = {
      publish: async () => false,
      subscribe: () => new Promise((resolve) => (land = resolve)),
    };
    const cache = createNearCache({ ttlMs: TTL, channel });
    await cache.close(); // at once, before the channel answered
    land(async () => {
      stopped++;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(1);
    await cache.close(); // twice: nothing more to stop
    expect(stopped).toBe(1);
  });
});
