import { describe, expect, it } from "vitest";
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
