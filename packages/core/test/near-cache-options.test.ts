import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { createNearCache } from "../src/index.js";
import { withNearCache } from "../src/proxy/near-cache-wiring.js";

describe("the service's near cache, built from its options", () => {
  it("takes the options' ttlMs, maxEntries and the service's clock (not the memory store's default of off)", () => {
    let time = 1_000;
    const store = memoryStore();
    const cache = withNearCache({ r: store }, { ttlMs: 1_000, maxEntries: 1 }, () => time);
    expect(cache.enabled).toBe(true);
    expect(cache.ttlMs).toBe(1_000);
    cache.set("a", "c1", null, cache.generation("c1"));
    expect(cache.get("a")).toBeNull();
    // maxEntries 1: the second verdict pushes out the first.
    cache.set("b", "c1", null, cache.generation("c1"));
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("b")).toBeNull();
    // The verdict lives ttlMs on the service's clock, read at `set` time.
    time += 1_000;
    expect(cache.get("b")).toBeUndefined();
  });

  it("uses a built cache as it is, and is off over the memory store alone when no ttlMs is given", () => {
    const store = memoryStore();
    const built = createNearCache({ ttlMs: 50 });
    expect(withNearCache({ r: store }, built, Date.now)).toBe(built);
    const defaulted = withNearCache({ r: store }, {}, Date.now);
    expect(defaulted.enabled).toBe(false);
    expect(defaulted.ttlMs).toBe(0);
  });
});
