import { describe, expect, it } from "vitest";
import { authzHeaders, authzRefusalBody, authzRefusals, reservedAnswerHeaders } from "../src/index.js";

// The /authz HTTP contract as core states it (the express handler and the client read it; their tests
// run in their own packages): the statuses and challenges each refusal is answered with, the body, and
// the names a target can never set.
describe("the /authz contract", () => {
  it("answers each refusal with its status", () => {
    const statuses = Object.fromEntries(
      Object.entries(authzRefusals).map(([reason, a]) => [reason, a.status]),
    );
    expect(statuses).toEqual({
      NO_CREDENTIAL: 401,
      INVALID: 401,
      EXPIRED: 401,
      PROXY_TOKEN_INVALID: 401,
      DENIED: 403,
      FORBIDDEN: 403,
      TARGET_NOT_FOUND: 403,
      REAUTHORIZATION_REQUIRED: 403,
      TARGET_EXPIRED: 403,
      RATE_LIMITED: 429,
      JWKS_UNAVAILABLE: 503,
      TARGET_UNAVAILABLE: 503,
      STORAGE_UNAVAILABLE: 503,
      INTERNAL: 500,
    });
  });

  it("challenges a missing credential plainly and a presented bad one as invalid_token (RFC 6750 §3)", () => {
    const challenges = Object.entries(authzRefusals).flatMap(([reason, answer]) =>
      "challenge" in answer ? [[reason, answer.challenge]] : [],
    );
    expect(Object.fromEntries(challenges)).toEqual({
      NO_CREDENTIAL: 'Bearer realm="credkit"',
      INVALID: 'Bearer realm="credkit", error="invalid_token"',
      EXPIRED: 'Bearer realm="credkit", error="invalid_token", error_description="expired"',
    });
  });

  it("words only the refusals an operator could not act on from the reason alone", () => {
    const worded = Object.entries(authzRefusals).flatMap(([reason, answer]) =>
      "message" in answer ? [reason] : [],
    );
    expect(worded.sort()).toEqual(["FORBIDDEN", "PROXY_TOKEN_INVALID", "RATE_LIMITED"]);
    expect(JSON.parse(authzRefusalBody("NO_CREDENTIAL"))).toEqual({
      allowed: false,
      reason: "NO_CREDENTIAL",
    });
    expect(JSON.parse(authzRefusalBody("FORBIDDEN"))).toEqual({
      allowed: false,
      reason: "FORBIDDEN",
      message: authzRefusals.FORBIDDEN.message,
    });
  });

  it("names credkit's headers, and reserves them (lower case) with the answer's framing headers", () => {
    expect(authzHeaders).toEqual({
      token: "X-Credkit-Token",
      credentialId: "X-Credkit-Credential-Id",
      degraded: "X-Credkit-Degraded",
      targetQuery: "X-Credkit-Target-Query",
    });
    for (const name of Object.values(authzHeaders))
      expect(reservedAnswerHeaders).toContain(name.toLowerCase());
    for (const name of [
      "content-length",
      "transfer-encoding",
      "connection",
      "www-authenticate",
      "x-request-id",
    ])
      expect(reservedAnswerHeaders).toContain(name);
    for (const name of reservedAnswerHeaders) expect(name).toBe(name.toLowerCase());
    expect(new Set(reservedAnswerHeaders).size).toBe(reservedAnswerHeaders.length);
  });

  it("reserves exactly these names: a target header of any of them would reframe or forge the answer", () => {
    // A known answer, entry by entry: the express handler and the client's generated copy read this list,
    // so an entry lost here (a target's `Date` or `Vary` passed through) would be lost on both sides.
    expect([...reservedAnswerHeaders].sort()).toEqual([
      "cache-control",
      "connection",
      "content-length",
      "content-type",
      "date",
      "expires",
      "keep-alive",
      "pragma",
      "proxy-connection",
      "server",
      "te",
      "trailer",
      "transfer-encoding",
      "upgrade",
      "vary",
      "www-authenticate",
      "x-credkit-credential-id",
      "x-credkit-degraded",
      "x-credkit-target-query",
      "x-credkit-token",
      "x-request-id",
    ]);
  });
});
