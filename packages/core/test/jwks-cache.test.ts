import { describe, expect, it, vi } from "vitest";
import { createJwksCache, MAX_JWKS_CACHE_CHARS, MAX_JWKS_KEYS } from "../src/proxy/jwks-cache.js";

/** A key set of `count` EC public keys, each padded to about `padding` characters of JSON. */
function keySet(count: number, padding = 0) {
  return {
    keys: Array.from({ length: count }, (_, i) => ({
      kty: "EC",
      crv: "P-256",
      kid: `k${i}`,
      x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
      y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
      pad: "p".repeat(padding),
    })),
  };
}

describe("the JWKS cache's memory bound", () => {
  it("keeps at most MAX_JWKS_CACHE_CHARS of key sets, dropping the least recently used", async () => {
    const fetched: string[] = [];
    const cache = createJwksCache({
      // Tenants choose their jwksUri: each answers close to the outbound size limit (1 MiB).
      fetch: async (url) => {
        fetched.push(String(url));
        return Response.json(keySet(10, 90_000));
      },
      cooldownMs: 60_000,
      maxAgeMs: 600_000,
      now: () => 0,
    });
    const ask = (uri: string, kid = "k0") =>
      cache
        .resolver(uri)({ alg: "ES256", kid })
        .then(
          () => "key",
          () => "none",
        );
    const uris = Array.from(
      { length: Math.ceil(MAX_JWKS_CACHE_CHARS / 900_000) + 4 },
      (_, i) => `https://t${i}/jwks`,
    );
    expect(await ask(uris[0] as string)).toBe("key");
    for (const uri of uris.slice(1)) {
      await ask(uri);
      await ask(uris[0] as string); // in use: kept
    }
    expect(fetched.filter((u) => u === uris[0])).toHaveLength(1);
    // The least recently used set went, so asking for it fetches it again.
    const before = fetched.length;
    await ask(uris[1] as string);
    expect(fetched.length).toBe(before + 1);
  });

  it("reads at most MAX_JWKS_KEYS keys of one set", async () => {
    const cache = createJwksCache({
      fetch: async () => Response.json(keySet(MAX_JWKS_KEYS + 5)),
      cooldownMs: 60_000,
      maxAgeMs: 600_000,
      now: () => 0,
    });
    const resolve = cache.resolver("https://many/jwks");
    await expect(resolve({ alg: "ES256", kid: `k${MAX_JWKS_KEYS - 1}` })).resolves.toBeDefined();
    await expect(resolve({ alg: "ES256", kid: `k${MAX_JWKS_KEYS}` })).rejects.toThrow();
  });
});

// The accounting on a small bound (the real one is shown above): sets of a few kilobytes, not megabytes.
const BOUND = 30_000;

/** The characters one key set of `keySet(1, padding)` costs the bound (its keys' JSON). */
const sizeOf = (padding: number) => JSON.stringify(keySet(1, padding).keys).length;
/** The padding that makes one set cost exactly `chars`. */
const paddingFor = (chars: number) => chars - sizeOf(0);

/**
 * A cache over endpoints answering one key set each (kid `k0`), of `paddings[uri]` characters of
 * padding, on a clock the test moves; counts each URI's fetches and holds the fetches of the URIs in
 * `holding` until the test releases them.
 */
function boundSetup(paddings: Record<string, number>, timing = { cooldownMs: 60_000, maxAgeMs: 600_000 }) {
  const clock = { now: 0 };
  const fetched: string[] = [];
  const held = new Map<string, () => void>();
  const holding = new Set<string>();
  const cache = createJwksCache({
    fetch: async (url) => {
      const uri = String(url);
      fetched.push(uri);
      if (holding.has(uri)) await new Promise<void>((release) => held.set(uri, release));
      return Response.json(keySet(1, paddings[uri] ?? 0));
    },
    ...timing,
    now: () => clock.now,
    maxChars: BOUND,
  });
  const ask = (uri: string, kid = "k0") =>
    cache
      .resolver(uri)({ alg: "ES256", kid })
      .then(
        () => "key",
        (error: Error) => error.name,
      );
  const fetches = (uri: string) => fetched.filter((u) => u === uri).length;
  return { cache, ask, fetches, clock, held, holding };
}

describe("the JWKS cache's accounting of its bound", () => {
  it("keeps key sets that add up to the bound exactly, and drops the oldest one character past it", async () => {
    const half = Math.floor(BOUND / 2);
    const { ask, fetches } = boundSetup({
      a: paddingFor(half),
      b: paddingFor(BOUND - half),
      c: paddingFor(sizeOf(0) + 1),
    });
    expect(await ask("a")).toBe("key");
    expect(await ask("b")).toBe("key");
    expect(await ask("a")).toBe("key"); // both fit: a is still cached
    expect(fetches("a")).toBe(1);
    expect(await ask("c")).toBe("key"); // past the bound: the least recently used (b) goes
    expect(await ask("a")).toBe("key");
    expect(fetches("a")).toBe(1);
    expect(await ask("b")).toBe("key");
    expect(fetches("b")).toBe(2);
  });

  it("drops only as many of the oldest sets as it takes to fit", async () => {
    const third = paddingFor(Math.floor(BOUND / 3) + 10);
    const { ask, fetches } = boundSetup({ a: third, b: third, c: third });
    for (const uri of ["a", "b", "c"]) expect(await ask(uri)).toBe("key");
    // a went to make room for c; b and c fit beside each other and stay.
    expect(await ask("b")).toBe("key");
    expect(await ask("c")).toBe("key");
    expect(fetches("b")).toBe(1);
    expect(fetches("c")).toBe(1);
    expect(await ask("a")).toBe("key");
    expect(fetches("a")).toBe(2);
  });

  it("counts a refreshed set once: its old copy's characters are given back", async () => {
    const { ask, fetches, clock } = boundSetup(
      { a: paddingFor(15_000), b: paddingFor(12_000) },
      { cooldownMs: 10, maxAgeMs: 600_000 },
    );
    expect(await ask("b")).toBe("key");
    expect(await ask("a")).toBe("key");
    clock.now += 10; // an unknown kid past the cooldown: a is fetched again
    expect(await ask("a", "new")).toBe("JWKSNoMatchingKey");
    expect(fetches("a")).toBe(2);
    // 27,000 characters are cached, not 42,000: b was not dropped.
    expect(await ask("b")).toBe("key");
    expect(fetches("b")).toBe(1);
  });

  it("keeps a set larger than the whole bound while it is the newest", async () => {
    const { ask, fetches } = boundSetup({ huge: paddingFor(BOUND + 1) });
    expect(await ask("huge")).toBe("key");
    expect(await ask("huge")).toBe("key");
    expect(fetches("huge")).toBe(1);
  });

  it("counts a set refreshed while another was used as the most recently used", async () => {
    const third = paddingFor(Math.floor(BOUND / 3) + 10);
    const { ask, fetches, clock, held, holding } = boundSetup(
      { a: third, b: third, c: third },
      { cooldownMs: 10, maxAgeMs: 600_000 },
    );
    expect(await ask("a")).toBe("key");
    expect(await ask("b")).toBe("key");
    clock.now += 10;
    holding.add("a");
    const refreshing = ask("a", "new"); // a's refresh for an unknown kid is on its way ...
    await vi.waitFor(() => expect(held.has("a")).toBe(true));
    expect(await ask("b")).toBe("key"); // ... while b is used
    held.get("a")?.();
    expect(await refreshing).toBe("JWKSNoMatchingKey");
    expect(fetches("a")).toBe(2);
    // The refreshed a is the newest: c's arrival drops b, now the least recently used.
    expect(await ask("c")).toBe("key");
    expect(await ask("a")).toBe("key");
    expect(fetches("a")).toBe(2);
    expect(await ask("b")).toBe("key");
    expect(fetches("b")).toBe(2);
  });

  it("forgets a dropped set's resolver and its last refresh attempt with it", async () => {
    const big = paddingFor(20_000);
    const { cache, ask, fetches, clock } = boundSetup(
      { a: big, b: big },
      { cooldownMs: 1_000, maxAgeMs: 10 },
    );
    const first = cache.resolver("a");
    expect(await ask("a")).toBe("key");
    clock.now += 11; // past the maximum age: a refresh is attempted
    expect(await ask("a")).toBe("key");
    expect(fetches("a")).toBe(2);
    expect(await ask("b")).toBe("key"); // a is dropped for b
    expect(cache.resolver("a")).not.toBe(first); // its resolver went too: no map grows with tenants' URIs
    clock.now += 1;
    expect(await ask("a")).toBe("key"); // fetched again, as it is no longer cached
    expect(fetches("a")).toBe(3);
    clock.now += 11; // past its age again, though within the cooldown of the attempt made before the drop
    expect(await ask("a")).toBe("key");
    expect(fetches("a")).toBe(4); // that attempt was forgotten with the set
  });
});
