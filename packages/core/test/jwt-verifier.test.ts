import { OAuth2Server } from "oauth2-mock-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAddressPolicy, createOutboundFetch } from "../src/index.js";
import { createJwtVerifier, DEFAULT_JWKS_COOLDOWN_MS } from "../src/proxy/jwt-verifier.js";
import type { SecretOf } from "../src/schemas/secrets.js";

// The verifier's JWKS timing when the service sets none (the defaults, to the millisecond, with an
// injected clock) and its fail-open verdict on a token that cannot even be decoded. A real issuer on
// loopback serves the key set.
const issuer = new OAuth2Server();
let kid: string;
beforeAll(async () => {
  kid = (await issuer.issuer.keys.generate("RS256")).kid;
  await issuer.start(0, "127.0.0.1");
});
afterAll(() => issuer.stop());

const config = (): SecretOf<"jwtVerify"> => ({
  algorithms: ["RS256"],
  issuer: issuer.issuer.url as string,
  audience: "api",
  jwksUri: `${issuer.issuer.url}/jwks`,
  failPolicy: "fail-closed",
});
const token = (keyId: string) =>
  issuer.issuer.buildToken({
    kid: keyId,
    expiresIn: 3600,
    scopesOrTransform: (_header, payload) => Object.assign(payload, { aud: "api" }),
  });

/** A verifier with the default JWKS timing, its clock at `clock.now`, counting key set fetches. */
function defaults() {
  const clock = { now: Date.now() };
  const base = createOutboundFetch({ policy: createAddressPolicy(["127.0.0.1"]) });
  let fetches = 0;
  const verifier = createJwtVerifier({
    fetch: (url, init) => {
      fetches++;
      return base(url, init);
    },
    now: () => clock.now,
  });
  return { verifier, clock, fetches: () => fetches };
}

describe("createJwtVerifier's JWKS defaults", () => {
  it("refetches for an unknown kid 30 s after the last fetch, not a millisecond sooner", async () => {
    expect(DEFAULT_JWKS_COOLDOWN_MS).toBe(30_000);
    const { verifier, clock, fetches } = defaults();
    const start = clock.now;
    expect(await verifier.verify(await token(kid), config())).toBe("VALID");
    expect(fetches()).toBe(1);
    // The issuer rotates in a key the cached set does not have.
    const rotated = (await issuer.issuer.keys.generate("RS256")).kid;
    clock.now = start + 29_999;
    expect(await verifier.verify(await token(rotated), config())).toBe("INVALID");
    expect(fetches()).toBe(1);
    clock.now = start + 30_000;
    expect(await verifier.verify(await token(rotated), config())).toBe("VALID");
    expect(fetches()).toBe(2);
  });

  it("trusts a fetched key set for 10 minutes, then fetches it again", async () => {
    const { verifier, clock, fetches } = defaults();
    const start = clock.now;
    expect(await verifier.verify(await token(kid), config())).toBe("VALID");
    clock.now = start + 600_000;
    expect(await verifier.verify(await token(kid), config())).toBe("VALID");
    expect(fetches()).toBe(1);
    clock.now = start + 600_001;
    expect(await verifier.verify(await token(kid), config())).toBe("VALID");
    expect(fetches()).toBe(2);
  });
});

describe("createJwtVerifier without any key set", () => {
  it("calls a token whose claims cannot be decoded INVALID, never JWKS_UNAVAILABLE (fail-open would accept it)", async () => {
    const verifier = createJwtVerifier({
      fetch: () => Promise.reject(new Error("JWKS down")),
      now: Date.now,
    });
    const part = (text: string) => Buffer.from(text).toString("base64url");
    const header = part(JSON.stringify({ alg: "RS256", kid: "k" }));
    const open = { ...config(), failPolicy: "fail-open" as const };
    expect(await verifier.verify(`${header}.${part("not JSON")}.${part("sig")}`, open)).toBe("INVALID");
    // The same token with claims that hold is the fail policy's to decide.
    const claims = part(
      JSON.stringify({ iss: open.issuer, aud: "api", exp: Math.floor(Date.now() / 1000) + 60 }),
    );
    expect(await verifier.verify(`${header}.${claims}.${part("sig")}`, open)).toBe("JWKS_UNAVAILABLE");
  });
});
