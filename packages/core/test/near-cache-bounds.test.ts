import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { createNearCache, defaultNearCacheTtlMs } from "../src/index.js";
import { storedRecord } from "./stored-record.js";

// The near cache's bounds exactly, with an injected clock: an entry's lifetime to the millisecond, the
// entry count at and past maxEntries, and what it never holds.
const store = memoryStore();
const found = (overrides: Parameters<typeof storedRecord>[0] = {}) => ({
  record: storedRecord({
    secret: "ck1.k1.secret.part.here",
    tokenState: "ck1.k1.state.part.here",
    ...overrides,
  }),
  store,
});

describe("near cache bounds", () => {
  it("serves a verdict for ttlMs from the start of its read, not a millisecond more", () => {
    let now = 1_000;
    const cache = createNearCache({ ttlMs: 100, now: () => now });
    const readAt = cache.generation("c");
    now = 1_050; // the read took 50 ms: the verdict still expires at 1_100
    cache.set("k", "c", null, readAt);
    now = 1_099;
    expect(cache.get("k")).toBeNull();
    now = 1_100;
    expect(cache.get("k")).toBeUndefined();
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
  });

  it("never serves a record past its own expiresAt", () => {
    let now = 1_000;
    const cache = createNearCache({ ttlMs: 100, now: () => now });
    const f = found({ expiresAt: 1_040 });
    cache.set("k", "c", f, cache.generation("c"));
    now = 1_039;
    expect(cache.get("k")?.record.credentialId).toBe(f.record.credentialId);
    now = 1_040;
    expect(cache.get("k")).toBeUndefined();
  });

  it("holds no secret material and never a single-use record", () => {
    const cache = createNearCache({ ttlMs: 100, now: () => 0 });
    const f = found();
    cache.set("k", "c", f, cache.generation("c"));
    const hit = cache.get("k");
    expect(hit?.record).toMatchObject({ secret: "", tokenState: null, credentialId: f.record.credentialId });
    expect(hit?.store).toBe(store);
    expect(f.record.secret).toBe("ck1.k1.secret.part.here"); // the caller's record is not changed
    cache.set("s", "c", found({ singleUse: true }), cache.generation("c"));
    expect(cache.get("s")).toBeUndefined();
  });

  it("keeps at most maxEntries verdicts, dropping the oldest", () => {
    const cache = createNearCache({ ttlMs: 100, maxEntries: 3, now: () => 0 });
    for (const key of ["a", "b", "c"]) cache.set(key, "client", null, cache.generation("client"));
    for (const key of ["a", "b", "c"]) expect(cache.get(key), key).toBeNull();
    // Replacing an entry does not count twice.
    cache.set("c", "client", null, cache.generation("client"));
    expect(cache.get("a")).toBeNull();
    cache.set("d", "client", null, cache.generation("client"));
    expect(cache.get("a")).toBeUndefined();
    for (const key of ["b", "c", "d"]) expect(cache.get(key), key).toBeNull();
  });

  it("drops a read that an invalidation overtook, and only that client's", () => {
    const cache = createNearCache({ ttlMs: 100, now: () => 0 });
    const before = cache.generation("c");
    const other = cache.generation("d");
    cache.invalidate({ clientId: "c", credentialId: "x" });
    cache.set("k", "c", null, before);
    expect(cache.get("k")).toBeUndefined();
    cache.set("k", "c", null, cache.generation("c"));
    expect(cache.get("k")).toBeNull();
    cache.set("o", "d", null, other);
    expect(cache.get("o")).toBeNull();
    // Invalidating one client drops its entries, not another's.
    cache.invalidate({ clientId: "c", credentialId: "x" });
    expect(cache.get("k")).toBeUndefined();
    expect(cache.get("o")).toBeNull();
    expect(cache.stats.invalidations).toBe(2);
  });

  it("bounds its invalidation generations at 4 × maxEntries clients: past it, verdicts and reads in flight are dropped", () => {
    const cache = createNearCache({ ttlMs: 100, maxEntries: 1, now: () => 0 });
    const inFlight = cache.generation("reader");
    for (let i = 0; i < 4; i++) cache.invalidate({ clientId: `c${i}`, credentialId: "x" });
    cache.set("k", "reader", null, inFlight);
    expect(cache.get("k")).toBeNull(); // 4 generations: at the bound, nothing reset
    const next = cache.generation("reader");
    cache.invalidate({ clientId: "c4", credentialId: "x" }); // the fifth: a new epoch
    expect(cache.get("k")).toBeUndefined(); // like a clear: every verdict is stale
    cache.set("k2", "reader", null, next);
    expect(cache.get("k2")).toBeUndefined();
  });

  it("does not keep a read that an invalidation overtook, so it pushes out no live verdict", () => {
    const cache = createNearCache({ ttlMs: 100, maxEntries: 1, now: () => 0 });
    const stale = cache.generation("b");
    cache.invalidate({ clientId: "b", credentialId: "x" });
    cache.set("a", "a", null, cache.generation("a"));
    cache.set("b", "b", null, stale);
    expect(cache.get("a")).toBeNull();
  });

  it("is off when ttlMs or maxEntries is 0", () => {
    for (const options of [{ ttlMs: 0 }, { ttlMs: 100, maxEntries: 0 }]) {
      const cache = createNearCache({ ...options, now: () => 0 });
      expect(cache.enabled).toBe(false);
      expect(cache.ttlMs).toBe(0);
      cache.set("k", "c", null, cache.generation("c"));
      expect(cache.get("k")).toBeUndefined();
    }
    expect(createNearCache({ ttlMs: 1, now: () => 0 }).ttlMs).toBe(1);
    expect(defaultNearCacheTtlMs([store])).toBe(0);
    expect(defaultNearCacheTtlMs([store, { ...store, name: "redis" }])).toBe(5000);
  });

  it("drops everything on clear and tells its listeners", () => {
    const cache = createNearCache({ ttlMs: 100, now: () => 0 });
    const heard: (string | null)[] = [];
    cache.onInvalidate((clientId) => heard.push(clientId));
    const before = cache.generation("c");
    cache.set("k", "c", null, before);
    cache.invalidate({ clientId: "c", credentialId: "x" });
    cache.set("k", "c", null, cache.generation("c"));
    cache.clear();
    expect(cache.get("k")).toBeUndefined();
    cache.set("k", "c", null, before);
    expect(cache.get("k")).toBeUndefined();
    expect(heard).toEqual(["c", null]);
  });
});
