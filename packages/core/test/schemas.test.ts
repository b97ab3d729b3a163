import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  type AuthType,
  allowedAuthTypes,
  checkJsonBounds,
  createCredentialBody,
  parseOrThrow,
  secretSchemas,
} from "../src/index.js";

/** A valid secret of each auth type. */
export const validSecrets: Record<AuthType, unknown> = {
  apiKey: { keyName: "X-Api-Key", keyValue: "k-123" },
  bearer: { token: "t-123" },
  jwt: { token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln" },
  basicAuth: { username: "u", password: "p" },
  jwtVerify: {
    algorithms: ["RS256"],
    issuer: "https://issuer.example",
    audience: "api",
    jwksUri: "https://issuer.example/jwks",
  },
  oauth2: {
    grantType: "client_credentials",
    tokenUrl: "https://auth.example/token",
    clientId: "c",
    clientSecret: "s",
  },
  customToken: { tokenUrl: "https://auth.example/token" },
  custom: { headers: { "X-Custom": "v" }, query: { key: "v" } },
  none: {},
};

const fieldErrors = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { errors: { path: string; message: string }[] }).errors;
  }
  throw new Error("expected a validation error");
};

describe("secret schemas", () => {
  it.each(Object.entries(validSecrets))("accepts a valid %s secret", (authType, secret) => {
    expect(() => parseOrThrow(secretSchemas[authType as AuthType], secret)).not.toThrow();
  });

  it("fills documented defaults", () => {
    expect(parseOrThrow(secretSchemas.customToken, validSecrets.customToken)).toMatchObject({
      method: "POST",
      tokenPath: "access_token",
      headerName: "Authorization",
      headerPrefix: "Bearer ",
    });
    expect(parseOrThrow(secretSchemas.jwtVerify, validSecrets.jwtVerify)).toMatchObject({
      failPolicy: "fail-closed",
    });
    expect(
      parseOrThrow(secretSchemas.oauth2, {
        grantType: "authorization_code",
        authorizationUrl: "https://a.example/authorize",
        tokenUrl: "https://a.example/token",
        clientId: "c",
        redirectUri: "https://app.example/cb",
      }),
    ).toMatchObject({ pkce: true });
  });

  it("names the field at fault and never echoes the value", () => {
    const errors = fieldErrors(() =>
      parseOrThrow(secretSchemas.apiKey, { keyName: "bad header", keyValue: "line\nbreak-SECRETVALUE" }, [
        "secret",
      ]),
    );
    expect(errors.map((e) => e.path).sort()).toEqual(["secret.keyName", "secret.keyValue"]);
    expect(JSON.stringify(errors)).not.toContain("SECRETVALUE");
  });

  it("rejects unknown secret fields (typos) by name", () => {
    const errors = fieldErrors(() =>
      parseOrThrow(secretSchemas.bearer, { token: "t", tokne: "x" }, ["secret"]),
    );
    expect(errors).toContainEqual({ path: "secret", message: "unknown field: tokne" });
  });

  it("needs exactly one of jwksUri or secret, and matching algorithms", () => {
    const base = { algorithms: ["RS256"], issuer: "i", audience: "a" };
    expect(fieldErrors(() => parseOrThrow(secretSchemas.jwtVerify, base))[0]?.path).toBe("jwksUri");
    expect(
      fieldErrors(() =>
        parseOrThrow(secretSchemas.jwtVerify, { ...base, jwksUri: "https://x/j", secret: "s".repeat(32) }),
      )[0]?.path,
    ).toBe("jwksUri");
    expect(
      fieldErrors(() =>
        parseOrThrow(secretSchemas.jwtVerify, { ...base, algorithms: ["HS256"], jwksUri: "https://x/j" }),
      )[0]?.path,
    ).toBe("algorithms");
    expect(
      fieldErrors(() =>
        parseOrThrow(secretSchemas.jwtVerify, { ...base, algorithms: ["none"], secret: "s".repeat(32) }),
      )[0]?.path,
    ).toBe("algorithms.0");
  });

  it("refuses non-http token URLs", () => {
    const errors = fieldErrors(() =>
      parseOrThrow(secretSchemas.customToken, { tokenUrl: "file:///etc/passwd" }, ["secret"]),
    );
    expect(errors[0]).toEqual({ path: "secret.tokenUrl", message: "must be an absolute http(s) URL" });
  });

  it("refuses port 0 in any spelling, and takes every real port", () => {
    for (const tokenUrl of ["http://auth.example:0/token", "https://auth.example:000/token"]) {
      const errors = fieldErrors(() => parseOrThrow(secretSchemas.customToken, { tokenUrl }, ["secret"]));
      expect(errors[0]).toEqual({ path: "secret.tokenUrl", message: "must not name port 0" });
    }
    for (const tokenUrl of [
      "http://auth.example:1/token",
      "https://auth.example:65535/token",
      "https://auth.example/t",
    ]) {
      expect(() => parseOrThrow(secretSchemas.customToken, { tokenUrl })).not.toThrow();
    }
  });
});

describe("create body", () => {
  it("keeps the proxy/target matrix", () => {
    expect(allowedAuthTypes.proxy).toEqual(["apiKey", "bearer", "jwt", "basicAuth", "jwtVerify"]);
    expect(allowedAuthTypes.target).not.toContain("jwtVerify");
  });

  it("reports required fields, bad enums and unknown fields together", () => {
    const errors = fieldErrors(() =>
      parseOrThrow(createCredentialBody, { credentialType: "both", authType: "apikey", extra: 1 }),
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: "credentialName", message: "is required" },
        { path: "credentialType", message: "must be one of: proxy, target" },
        expect.objectContaining({ path: "authType", message: expect.stringContaining("apiKey") }),
        { path: "body", message: "unknown field: extra" },
      ]),
    );
  });
});

describe("JSON bounds (issue 10)", () => {
  it("refuses deep or huge input iteratively, naming where it starts", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(checkJsonBounds({ secret: { body: deep } })).toEqual({
      path: "secret.body.a.a...",
      message: "must not nest deeper than 32 levels",
    });
    expect(checkJsonBounds({ list: Array(20_000).fill(0) })?.message).toBe("must hold at most 10000 values");
    expect(checkJsonBounds({ a: [{ b: 1 }], c: "x" })).toBeNull();
    expect(() => parseOrThrow(z.unknown(), { secret: deep })).toThrow(/nest deeper/);
  });
});
