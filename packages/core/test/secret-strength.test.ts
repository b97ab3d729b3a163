import { describe, expect, it } from "vitest";
import { DEFAULT_MIN_PROXY_SECRET_LENGTH } from "../src/index.js";
import { weakProxySecret } from "../src/proxy/secret-strength.js";

// The minimum length of a presented proxy secret, exactly at its bound, for each field a caller
// presents (stored-text.test.ts checks it through the service).
describe("weakProxySecret", () => {
  it.each([
    ["apiKey", "keyValue", { keyName: "X-Api-Key" }],
    ["bearer", "token", {}],
    ["jwt", "token", {}],
    ["basicAuth", "password", { username: "a-long-enough-user-name" }],
  ])("takes a %s's %s of the minimum length, not one character less", (authType, field, rest) => {
    const min = DEFAULT_MIN_PROXY_SECRET_LENGTH;
    expect(min).toBe(16);
    const secret = (length: number) => ({ ...rest, [field]: "x".repeat(length) });
    expect(weakProxySecret(authType, secret(min), min)).toBeNull();
    expect(weakProxySecret(authType, secret(min - 1), min)).toMatchObject({ path: `secret.${field}` });
    expect(weakProxySecret(authType, secret(0), min)).toMatchObject({ path: `secret.${field}` });
    // Another bound is honoured as given.
    expect(weakProxySecret(authType, secret(2), 2)).toBeNull();
    expect(weakProxySecret(authType, secret(1), 2)).toMatchObject({ path: `secret.${field}` });
  });

  it("checks only the presented field: a short user name or key name is no weakness", () => {
    expect(weakProxySecret("basicAuth", { username: "u", password: "p".repeat(16) }, 16)).toBeNull();
    expect(weakProxySecret("apiKey", { keyName: "K", keyValue: "v".repeat(16) }, 16)).toBeNull();
  });

  it("leaves jwtVerify and target-only types alone (nothing presented is a stored value)", () => {
    for (const authType of ["jwtVerify", "oauth2", "customToken", "custom", "none"])
      expect(weakProxySecret(authType, { token: "x", secret: "x", keyValue: "x" }, 16), authType).toBeNull();
  });

  it("leaves a field that is not a string to the schema", () => {
    expect(weakProxySecret("bearer", { token: 12 }, 16)).toBeNull();
    expect(weakProxySecret("bearer", {}, 16)).toBeNull();
  });
});
