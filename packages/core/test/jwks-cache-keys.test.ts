import { exportJWK, generateKeyPair, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import type { OutboundFetch } from "../src/outbound/outbound-fetch.js";
import { createJwksCache, JwksUnavailableError } from "../src/proxy/jwks-cache.js";

// The JWKS cache's rules one by one, with an injected clock and a key set endpoint the test controls
// (the real issuer on loopback is in jwt-verify.test.ts): which key a header selects, what counts as
// a key set, when it is fetched again (to the millisecond), and what an outage leaves usable.
const URI = "https://issuer.example/jwks";

async function publicJwk(extra: Partial<JWK> = {}): Promise<JWK> {
  const { publicKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(publicKey)), ...extra };
}

/** A cache over an endpoint that answers `answer()` (a Response, or a throw), counting its calls. */
function setup(answer: () => Response | Promise<Response>, timing = { cooldownMs: 100, maxAgeMs: 1_000 }) {
  const clock = { now: 10_000 };
  const calls: { url: string; accept: string | null }[] = [];
  const fetch: OutboundFetch = async (url, init) => {
    calls.push({ url: String(url), accept: new Headers(init?.headers).get("accept") });
    return answer();
  };
  const cache = createJwksCache({ fetch, ...timing, now: () => clock.now });
  const resolve = cache.resolver(URI);
  const found = (header: Parameters<typeof resolve>[0]) =>
    resolve(header).then(
      () => "key",
      (error: Error) => error.name,
    );
  return { cache, resolve, found, clock, calls };
}

describe("the JWKS cache's key selection", () => {
  it("selects the one key whose kid, alg, use and key_ops fit the header", async () => {
    const keys = [
      await publicJwk({ kid: "a", alg: "ES256" }),
      await publicJwk({ kid: "b", alg: "ES384" }),
      await publicJwk({ kid: "c", use: "enc" }),
      await publicJwk({ kid: "d", use: "sig", key_ops: ["encrypt"] }),
      await publicJwk({ kid: "e", use: "sig", key_ops: ["verify"] }),
    ];
    const { found, calls } = setup(() => Response.json({ keys }), { cooldownMs: 60_000, maxAgeMs: 600_000 });
    expect(await found({ alg: "ES256", kid: "a" })).toBe("key");
    expect(await found({ alg: "ES256", kid: "b" })).toBe("JWKSNoMatchingKey"); // its alg is ES384
    expect(await found({ alg: "ES256", kid: "c" })).toBe("JWKSNoMatchingKey"); // an encryption key
    expect(await found({ alg: "ES256", kid: "d" })).toBe("JWKSNoMatchingKey"); // not for verifying
    expect(await found({ alg: "ES256", kid: "e" })).toBe("key");
    expect(await found({ alg: "ES256", kid: "z" })).toBe("JWKSNoMatchingKey");
    // Without a kid, a header fits several keys: none is guessed.
    expect(await found({ alg: "ES256" })).toBe("JWKSNoMatchingKey");
    expect(calls).toEqual([{ url: URI, accept: "application/jwk-set+json, application/json" }]);
  });

  it("matches a kid only as a string, and key_ops only as a list (jose's rules)", async () => {
    const keys = [
      await publicJwk({ kid: 5 as unknown as string }),
      await publicJwk({ kid: "s", key_ops: "verify" as unknown as string[] }),
      await publicJwk({ kid: "n", key_ops: 5 as unknown as string[] }),
    ];
    const { found } = setup(() => Response.json({ keys }), { cooldownMs: 60_000, maxAgeMs: 600_000 });
    expect(await found({ alg: "ES256", kid: 5 as unknown as string })).toBe("JWKSNoMatchingKey");
    expect(await found({ alg: "ES256", kid: "5" })).toBe("JWKSNoMatchingKey");
    expect(await found({ alg: "ES256", kid: "s" })).toBe("JWKSNoMatchingKey"); // a string is no list
    expect(await found({ alg: "ES256", kid: "n" })).toBe("JWKSNoMatchingKey"); // nor a number
    // Without a kid, the key of kid 5 is the only usable one.
    expect(await found({ alg: "ES256" })).toBe("key");
  });

  it("takes the only key that fits a header without a kid, skipping entries that are not keys", async () => {
    const key = await publicJwk();
    const { found } = setup(() => Response.json({ keys: [null, "text", 7, key] }));
    expect(await found({ alg: "ES256" })).toBe("key");
  });

  it("takes the only fitting key for a header without a kid, whatever that key's kid", async () => {
    const keys = [await publicJwk({ kid: "a" }), await publicJwk({ kid: "b", alg: "ES384" })];
    const { found } = setup(() => Response.json({ keys }));
    expect(await found({ alg: "ES256" })).toBe("key");
  });

  it("imports each key apart: another kid, or the same key under another algorithm, is another import", async () => {
    const a = await publicJwk({ kid: "a" });
    const b = await publicJwk({ kid: "b" });
    const { publicKey } = await generateKeyPair("RS256", { extractable: true });
    const rsa = { ...(await exportJWK(publicKey)), kid: "r" }; // no alg: RS256 and PS256 both fit it
    const { resolve } = setup(() => Response.json({ keys: [a, b, rsa] }));
    const keyA = await resolve({ alg: "ES256", kid: "a" });
    const keyB = await resolve({ alg: "ES256", kid: "b" });
    expect(keyB).not.toBe(keyA);
    expect(await resolve({ alg: "ES256", kid: "a" })).toBe(keyA);
    const pkcs1 = await resolve({ alg: "RS256", kid: "r" });
    const pss = await resolve({ alg: "PS256", kid: "r" });
    expect(pss).not.toBe(pkcs1);
    expect(await resolve({ alg: "PS256", kid: "r" })).toBe(pss);
  });

  it("imports a key once per kid and algorithm", async () => {
    const key = await publicJwk({ kid: "a" });
    const { resolve } = setup(() => Response.json({ keys: [key] }));
    const first = await resolve({ alg: "ES256", kid: "a" });
    expect(await resolve({ alg: "ES256", kid: "a" })).toBe(first);
  });
});

describe("what the JWKS cache takes for a key set", () => {
  it.each([
    ["a status other than 200", () => new Response(JSON.stringify({ keys: [] }), { status: 201 })],
    ["a 500", () => new Response("down", { status: 500 })],
    ["a body that is not JSON", () => new Response("<html>")],
    ["JSON without a keys array", () => Response.json({ keys: { kid: "a" } })],
    ["JSON null", () => Response.json(null)],
    [
      "a failed connection",
      () => {
        throw new Error("ECONNREFUSED");
      },
    ],
  ])("refuses %s as JWKS unavailable", async (_name, answer) => {
    const { resolve } = setup(answer);
    await expect(resolve({ alg: "ES256", kid: "a" })).rejects.toBeInstanceOf(JwksUnavailableError);
  });

  it("keeps what the fetch failed with as the cause, for the logs", async () => {
    const refused = new Error("ECONNREFUSED");
    const { resolve } = setup(() => {
      throw refused;
    });
    const error = await resolve({ alg: "ES256", kid: "a" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JwksUnavailableError);
    expect((error as Error).cause).toBe(refused);
  });

  it("fetches once for callers that ask at the same moment, and again after a failed fetch", async () => {
    const key = await publicJwk({ kid: "a" });
    let fail = true;
    const { found, calls } = setup(() =>
      fail ? new Response("", { status: 503 }) : Response.json({ keys: [key] }),
    );
    expect(await Promise.all([found({ alg: "ES256", kid: "a" }), found({ alg: "ES256", kid: "a" })])).toEqual(
      ["JwksUnavailableError", "JwksUnavailableError"],
    );
    expect(calls).toHaveLength(1);
    fail = false;
    expect(await found({ alg: "ES256", kid: "a" })).toBe("key");
    expect(calls).toHaveLength(2);
  });
});

describe("when the JWKS cache fetches again", () => {
  it("trusts a key set for maxAgeMs exactly, then fetches it again", async () => {
    const key = await publicJwk({ kid: "a" });
    const { found, clock, calls } = setup(() => Response.json({ keys: [key] }));
    await found({ alg: "ES256", kid: "a" });
    clock.now += 1_000;
    await found({ alg: "ES256", kid: "a" });
    expect(calls).toHaveLength(1);
    clock.now += 1;
    await found({ alg: "ES256", kid: "a" });
    expect(calls).toHaveLength(2);
  });

  it("fetches for an unknown kid once the cooldown has passed since the fetch, not a millisecond sooner", async () => {
    const keys = [await publicJwk({ kid: "a" })];
    const { found, clock, calls } = setup(() => Response.json({ keys: [...keys] }));
    expect(await found({ alg: "ES256", kid: "a" })).toBe("key");
    clock.now += 99;
    expect(await found({ alg: "ES256", kid: "new" })).toBe("JWKSNoMatchingKey");
    expect(calls).toHaveLength(1);
    keys.push(await publicJwk({ kid: "new" })); // the issuer rotates
    clock.now += 1;
    expect(await found({ alg: "ES256", kid: "new" })).toBe("key");
    expect(calls).toHaveLength(2);
  });

  it("keeps the cached keys through an outage, and asks a failing endpoint at most once per cooldown", async () => {
    const key = await publicJwk({ kid: "a" });
    let down = false;
    const { found, clock, calls } = setup(() =>
      down ? new Response("", { status: 503 }) : Response.json({ keys: [key] }),
    );
    expect(await found({ alg: "ES256", kid: "a" })).toBe("key");
    down = true;
    clock.now += 1_001; // past maxAge: a refresh is due, and fails
    expect(await found({ alg: "ES256", kid: "a" })).toBe("key");
    expect(calls).toHaveLength(2);
    clock.now += 99; // within the cooldown of that attempt: the endpoint is not asked
    expect(await found({ alg: "ES256", kid: "a" })).toBe("key");
    expect(await found({ alg: "ES256", kid: "other" })).toBe("JWKSNoMatchingKey");
    expect(calls).toHaveLength(2);
    clock.now += 1; // the cooldown has passed: asked again
    expect(await found({ alg: "ES256", kid: "a" })).toBe("key");
    expect(calls).toHaveLength(3);
  });

  it("keeps one resolver per URI and one key set per URI", async () => {
    const key = await publicJwk({ kid: "a" });
    const { cache, resolve, calls } = setup(() => Response.json({ keys: [key] }));
    expect(cache.resolver(URI)).toBe(resolve);
    await resolve({ alg: "ES256", kid: "a" });
    await cache.resolver(`${URI}?other`)({ alg: "ES256", kid: "a" });
    await resolve({ alg: "ES256", kid: "a" });
    expect(calls.map((c) => c.url)).toEqual([URI, `${URI}?other`]);
  });
});
