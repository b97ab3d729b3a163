import { describe, expect, it } from "vitest";
import { checkClaims } from "../src/proxy/jwt-claims.js";
import type { SecretOf } from "../src/schemas/secrets.js";

// checkClaims is the only check on the fail-open path (JWKS down): each claim rule is pinned here on
// its own, with an injected clock, so a rule removed or loosened fails a test even though jose's own
// verification would catch it on the normal path.
const NOW_S = 1_800_000_000;
const NOW_MS = NOW_S * 1000 + 999; // a fraction of a second past NOW_S: `now` is floored
const config = (extra: Partial<SecretOf<"jwtVerify">> = {}): SecretOf<"jwtVerify"> => ({
  algorithms: ["RS256"],
  issuer: "https://issuer.example",
  audience: "api",
  jwksUri: "https://issuer.example/jwks",
  failPolicy: "fail-open",
  ...extra,
});
const good = { iss: "https://issuer.example", aud: "api", sub: "svc", exp: NOW_S + 60 };

describe("checkClaims", () => {
  it("accepts a token whose every claim holds", () => {
    expect(checkClaims(good, config(), NOW_MS)).toBeNull();
    expect(checkClaims(good, config({ subject: "svc" }), NOW_MS)).toBeNull();
  });

  it("refuses another issuer, and a missing one", () => {
    expect(checkClaims({ ...good, iss: "https://evil.example" }, config(), NOW_MS)).toBe("INVALID");
    expect(checkClaims({ ...good, iss: undefined }, config(), NOW_MS)).toBe("INVALID");
  });

  it("matches the audience as whole strings, never substrings", () => {
    expect(checkClaims({ ...good, aud: "ap" }, config(), NOW_MS)).toBe("INVALID");
    expect(checkClaims({ ...good, aud: ["ap"] }, config(), NOW_MS)).toBe("INVALID");
    expect(checkClaims({ ...good, aud: "apis" }, config({ audience: ["api"] }), NOW_MS)).toBe("INVALID");
    expect(checkClaims({ ...good, aud: ["x", "api"] }, config(), NOW_MS)).toBeNull();
    expect(checkClaims({ ...good, aud: "b" }, config({ audience: ["a", "b"] }), NOW_MS)).toBeNull();
    expect(checkClaims({ ...good, aud: undefined }, config(), NOW_MS)).toBe("INVALID");
    expect(checkClaims({ ...good, aud: [] }, config(), NOW_MS)).toBe("INVALID");
    // An audience of another type (a number) is no audience at all.
    expect(checkClaims({ ...good, aud: 5 as unknown as string }, config(), NOW_MS)).toBe("INVALID");
  });

  it("checks the subject only when the credential names one", () => {
    expect(checkClaims({ ...good, sub: "other" }, config({ subject: "svc" }), NOW_MS)).toBe("INVALID");
    expect(checkClaims({ ...good, sub: undefined }, config({ subject: "svc" }), NOW_MS)).toBe("INVALID");
    expect(checkClaims({ ...good, sub: "other" }, config(), NOW_MS)).toBeNull();
  });

  it.each(["exp", "nbf", "iat"] as const)("refuses a %s that is not a finite number", (claim) => {
    for (const value of ["9999999999", Number.POSITIVE_INFINITY, Number.NaN, null, true]) {
      const payload = { ...good, [claim]: value } as unknown as typeof good;
      expect(checkClaims(payload, config({ allowMissingExp: true }), NOW_MS)).toBe("INVALID");
    }
  });

  it("expires a token at its exp second exactly, not one second later", () => {
    expect(checkClaims({ ...good, exp: NOW_S + 1 }, config(), NOW_MS)).toBeNull();
    expect(checkClaims({ ...good, exp: NOW_S }, config(), NOW_MS)).toBe("EXPIRED");
    expect(checkClaims({ ...good, exp: NOW_S - 1 }, config(), NOW_MS)).toBe("EXPIRED");
  });

  it("extends exp by the clock skew, to the second", () => {
    const skewed = config({ clockSkewSeconds: 30 });
    expect(checkClaims({ ...good, exp: NOW_S - 29 }, skewed, NOW_MS)).toBeNull();
    expect(checkClaims({ ...good, exp: NOW_S - 30 }, skewed, NOW_MS)).toBe("EXPIRED");
  });

  it("refuses nbf and iat in the future, to the second, with the skew", () => {
    for (const claim of ["nbf", "iat"] as const) {
      expect(checkClaims({ ...good, [claim]: NOW_S }, config(), NOW_MS)).toBeNull();
      expect(checkClaims({ ...good, [claim]: NOW_S + 1 }, config(), NOW_MS)).toBe("INVALID");
      const skewed = config({ clockSkewSeconds: 30 });
      expect(checkClaims({ ...good, [claim]: NOW_S + 30 }, skewed, NOW_MS)).toBeNull();
      expect(checkClaims({ ...good, [claim]: NOW_S + 31 }, skewed, NOW_MS)).toBe("INVALID");
    }
  });

  it("requires exp unless the credential allows it to be missing", () => {
    const { exp: _exp, ...noExp } = good;
    expect(checkClaims(noExp, config(), NOW_MS)).toBe("INVALID");
    expect(checkClaims(noExp, config({ allowMissingExp: false }), NOW_MS)).toBe("INVALID");
    expect(checkClaims(noExp, config({ allowMissingExp: true }), NOW_MS)).toBeNull();
    // allowMissingExp never lifts an exp that is present.
    expect(checkClaims({ ...good, exp: NOW_S }, config({ allowMissingExp: true }), NOW_MS)).toBe("EXPIRED");
  });
});
