import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createAddressPolicy, createOutboundFetch } from "../src/index.js";
import { createJwtVerifier } from "../src/proxy/jwt-verifier.js";
import type { SecretOf } from "../src/schemas/secrets.js";

// jose's own layer of the JWT check, where checkClaims does not repeat it: the credential's algorithm
// allow-list and the injected clock. checkClaims alone cannot tell either apart, so each is shown here
// on a token that only jose would refuse (or accept) for that reason.
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

describe("jose's layer of the JWT check", () => {
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
