import { randomBytes } from "node:crypto";
import { testKeyring } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { isAuthorizationCodeSecret, parseState, stateMatches } from "../src/target/authorization-code.js";
import { STATE_IDENTITY } from "./oauth-fixture.js";

// parseState and stateMatches alone: what a sealed state must hold to be read back, whatever JSON a
// forger (holding no key) or a bug could put there.
const ID = "eu-west-1.AAAAAAAAAAAAAAAAAAAAAA";

describe("parseState", () => {
  const keyring = testKeyring();
  const seal = (value: unknown) => keyring.encrypt(JSON.stringify(value), STATE_IDENTITY);
  const nonce = randomBytes(32).toString("base64url");

  it("reads back the ids and random part of a well-formed state", () => {
    expect(parseState(keyring, seal(["c-1", ID, nonce]))).toEqual({
      clientId: "c-1",
      credentialId: ID,
      nonce,
    });
  });

  it.each([
    ["an object", { clientId: "c-1", credentialId: ID, nonce }],
    ["a credential id inside an array", ["c-1", [ID], nonce]],
    ["a random part inside an array", ["c-1", ID, [nonce]]],
    ["a credential id of no region", ["c-1", "no-region-here", nonce]],
    ["a client id that is a number", [42, ID, nonce]],
  ])("refuses %s as AUTHORIZATION_FAILED naming the state", (_name, value) => {
    expect(() => parseState(keyring, seal(value))).toThrow(
      expect.objectContaining({
        code: "AUTHORIZATION_FAILED",
        errors: [expect.objectContaining({ path: "state" })],
      }),
    );
  });
});

describe("isAuthorizationCodeSecret and stateMatches", () => {
  it("tells no authorization-code secret in null, undefined or another grant", () => {
    expect(isAuthorizationCodeSecret(null)).toBe(false);
    expect(isAuthorizationCodeSecret(undefined)).toBe(false);
    expect(isAuthorizationCodeSecret({ grantType: "client_credentials" })).toBe(false);
    expect(isAuthorizationCodeSecret({ grantType: "authorization_code" })).toBe(true);
  });

  it("matches no nonce without a pending state, or against a stored hash of another length", () => {
    const keyring = testKeyring();
    expect(stateMatches(keyring, undefined, "n")).toBe(false);
    expect(stateMatches(keyring, { stateHash: "short" }, "n")).toBe(false);
    expect(stateMatches(keyring, { stateHash: keyring.lookupHash("oauth2-state\nn") }, "n")).toBe(true);
  });
});
