import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createAddressPolicy, createOutboundFetch } from "../src/index.js";
import { createJwtVerifier } from "../src/proxy/jwt-verifier.js";
import type { SecretOf } from "../src/schemas/secrets.js";

// The verifier end to end on what the claim tests alone cannot show: the credential's algorithm
// allow-list (jwt-signature.ts), the injected clock, and the one order of the claim checks whether or
// not the token's signature could be checked.
const secret = "s".repeat(64);
const config = (algorithms: SecretOf<"jwtVerify">["algorithms"]): SecretOf<"jwtVerify"> => ({
  algorithms,
  issuer: "https://issuer.test",
  audience: "api",
  secret,
  failPolicy: "fail-closed",
});

/** A token signed with the shared secret under `alg`, its claims set at `nowSeconds`. */
function token(alg: string, nowSeconds: number): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg })
    .setIssuer("https://issuer.test")
    .setAudience("api")
    .setSubject("user-1")
    .setIssuedAt(nowSeconds)
    .setNotBefore(nowSeconds)
    .setExpirationTime(nowSeconds + 60)
    .sign(new TextEncoder().encode(secret));
}

function verifierAt(nowMs: number) {
  return createJwtVerifier({
    fetch: createOutboundFetch({ policy: createAddressPolicy() }),
    now: () => nowMs,
  });
}

describe("the verifier's algorithm list and clock", () => {
  it("refuses a token signed with the right secret under an algorithm the credential does not list", async () => {
    const now = Date.now();
    const verifier = verifierAt(now);
    const at = Math.floor(now / 1000);
    expect(await verifier.verify(await token("HS256", at), config(["HS256"]))).toBe("VALID");
    expect(await verifier.verify(await token("HS512", at), config(["HS256"]))).toBe("INVALID");
    expect(await verifier.verify(await token("HS512", at), config(["HS256", "HS512"]))).toBe("VALID");
  });

  it("checks nbf and exp by the injected clock, not the machine's", async () => {
    // A day ahead of the machine: a token valid from the injected now is not yet valid by the real clock.
    const ahead = Date.now() + 86_400_000;
    const at = Math.floor(ahead / 1000);
    expect(await verifierAt(ahead).verify(await token("HS256", at), config(["HS256"]))).toBe("VALID");
    // A day behind: a token valid by the injected clock expired a day ago by the real one.
    const behind = Date.now() - 86_400_000;
    const then = Math.floor(behind / 1000);
    expect(await verifierAt(behind).verify(await token("HS256", then), config(["HS256"]))).toBe("VALID");
  });
});

describe("the verifier's claim order", () => {
  it("calls a correctly signed token INVALID when a claim besides exp fails, even if it also expired", async () => {
    const now = Date.now();
    const at = Math.floor(now / 1000);
    const expiredFor = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setIssuer("https://issuer.test")
        .setAudience("api")
        .setExpirationTime(at - 60)
        .sign(new TextEncoder().encode(secret));
    const verifier = verifierAt(now);
    const withSubject = { ...config(["HS256"]), subject: "user-1" };
    expect(await verifier.verify(await expiredFor({ sub: "user-1" }), withSubject)).toBe("EXPIRED");
    expect(await verifier.verify(await expiredFor({ sub: "user-2" }), withSubject)).toBe("INVALID");
    expect(await verifier.verify(await expiredFor({ iat: at + 3600 }), config(["HS256"]))).toBe("INVALID");
  });
});
