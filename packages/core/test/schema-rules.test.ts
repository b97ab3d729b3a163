import { describe, expect, it } from "vitest";
import {
  type AuthType,
  allowedAuthTypes,
  createCredentialBody,
  createWebhookBody,
  eventTypes,
  parseOrThrow,
  secretSchemas,
  updateCredentialBody,
  type VerifyFailureReason,
  verifyResponse,
} from "../src/index.js";
import { pathsOf } from "./field-paths.js";

// Each rule of the secret and body schemas at its edge: a character class at the start, the middle and
// the end of a value (an anchor dropped lets the first or last through), every length at and past its
// bound, every default. schemas.test.ts and stored-text.test.ts hold the broader cases.
const secret = (authType: AuthType, value: unknown) => pathsOf(secretSchemas[authType], value);
const apiKey = (keyName: string, keyValue = "v") => secret("apiKey", { keyName, keyValue });

describe("header names and values", () => {
  it("takes an RFC 9110 token as a header name, from 1 to 256 characters, and nothing around it", () => {
    for (const name of ["X", "X-Api-Key", "!#$%&'*+.^_`|~09az-", "k".repeat(256)])
      expect(apiKey(name), name).toEqual([]);
    for (const name of ["", " X", "X ", "X Y", "X:Y", ":X", "X:", "é", "k".repeat(257)])
      expect(apiKey(name), JSON.stringify(name)).toEqual(["keyName"]);
  });

  it("takes tab, space, visible ASCII and Latin-1 in a value, no control character anywhere", () => {
    for (const value of ["a\tb", "a b", "~", "\x80", "\xff", "a\x80b", "v".repeat(8192)])
      expect(secret("basicAuth", { username: "u", password: value }), JSON.stringify(value)).toEqual([]);
    for (const value of [
      "",
      "\nv",
      "v\n",
      "a\rb",
      "a\x00b",
      "\x1f",
      "\x7f",
      "a\u0100",
      "\u0100a",
      "v".repeat(8193),
    ])
      expect(secret("basicAuth", { username: "u", password: value }), JSON.stringify(value)).toEqual([
        "password",
      ]);
  });

  it("refuses an apiKey value with white space at either end, keeping it inside", () => {
    expect(apiKey("K", "a b")).toEqual([]);
    expect(apiKey("K", "a\tb")).toEqual([]);
    for (const value of [" a", "a ", "\ta", "a\t", " "])
      expect(apiKey("K", value), JSON.stringify(value)).toEqual(["keyValue"]);
  });

  it("takes a bearer token without white space anywhere", () => {
    expect(secret("bearer", { token: "t" })).toEqual([]);
    for (const token of [" t", "t ", "a b", "a\tb"])
      expect(secret("bearer", { token }), token).toEqual(["token"]);
  });

  it("takes a compact JWT of three base64url parts (the last may be empty), nothing else", () => {
    for (const token of ["a.b.c", "a-_.B9.", "eyJ.eyJ.sig"])
      expect(secret("jwt", { token }), token).toEqual([]);
    for (const token of ["a.b", "a.b.c.d", ".b.c", "a..c", "a+.b.c", "a.b+.c", "a.b.c+", "=a.b.c", "a.b.c="])
      expect(secret("jwt", { token }), token).toEqual(["token"]);
  });

  it("refuses a colon in a basicAuth user name, anywhere, but not in the password", () => {
    expect(secret("basicAuth", { username: "user", password: "p:w" })).toEqual([]);
    for (const username of [":u", "u:", "u:v"])
      expect(secret("basicAuth", { username, password: "p" }), username).toEqual(["username"]);
  });
});

describe("URLs and short texts", () => {
  const tokenUrl = (url: string) => secret("customToken", { tokenUrl: url });

  it("calls only absolute http and https URLs", () => {
    expect(tokenUrl("http://a.example/t")).toEqual([]);
    expect(tokenUrl("https://a.example/t")).toEqual([]);
    for (const url of [
      "ftp://a.example/t",
      "xhttps://a.example/t",
      "httpsx://a.example/t",
      "/t",
      "a.example",
    ])
      expect(tokenUrl(url), url).toEqual(["tokenUrl"]);
  });

  it("refuses control characters in a short text anywhere", () => {
    const issuer = (value: string) =>
      secret("jwtVerify", {
        algorithms: ["RS256"],
        issuer: value,
        audience: "a",
        jwksUri: "https://i.example/j",
      });
    expect(issuer("https://issuer")).toEqual([]);
    for (const value of ["", "\u0007i", "i\u0007", "a\u001bb", "i\u0085"])
      expect(issuer(value), JSON.stringify(value)).toEqual(["issuer"]);
  });
});

describe("jwtVerify", () => {
  const base = { algorithms: ["HS256"], issuer: "i", audience: "a" };
  const jwtVerify = (value: object) => secret("jwtVerify", { ...base, ...value });

  it("takes a shared secret of 32 characters, not 31", () => {
    expect(jwtVerify({ secret: "s".repeat(32) })).toEqual([]);
    expect(jwtVerify({ secret: "s".repeat(31) })).toEqual(["secret"]);
    expect(jwtVerify({ secret: "s".repeat(1024) })).toEqual([]);
    expect(jwtVerify({ secret: "s".repeat(1025) })).toEqual(["secret"]);
  });

  it("takes only HS* with a shared secret and only asymmetric algorithms with a JWKS", () => {
    const shared = { secret: "s".repeat(32) };
    const jwks = { jwksUri: "https://i.example/j" };
    expect(jwtVerify({ ...shared, algorithms: ["HS256", "HS384", "HS512"] })).toEqual([]);
    expect(jwtVerify({ ...shared, algorithms: ["HS256", "RS256"] })).toEqual(["algorithms"]);
    expect(jwtVerify({ ...jwks, algorithms: ["RS256", "ES256", "EdDSA"] })).toEqual([]);
    expect(jwtVerify({ ...jwks, algorithms: ["RS256", "HS256"] })).toEqual(["algorithms"]);
    expect(jwtVerify({ ...shared, algorithms: [] })).toEqual(["algorithms"]);
    expect(jwtVerify({ ...shared, ...jwks })).toEqual(["jwksUri"]);
    expect(jwtVerify({})).toEqual(["jwksUri"]);
  });

  it("takes a clock skew of 0 to 600 whole seconds, an audience list of at least one, fail-open by name", () => {
    const shared = { secret: "s".repeat(32) };
    for (const clockSkewSeconds of [0, 600]) expect(jwtVerify({ ...shared, clockSkewSeconds })).toEqual([]);
    for (const clockSkewSeconds of [-1, 601, 1.5])
      expect(jwtVerify({ ...shared, clockSkewSeconds })).toEqual(["clockSkewSeconds"]);
    expect(jwtVerify({ ...shared, audience: ["a", "b"] })).toEqual([]);
    expect(jwtVerify({ ...shared, audience: [] })).toEqual(["audience"]);
    expect(jwtVerify({ ...shared, failPolicy: "fail-open", allowMissingExp: true, subject: "s" })).toEqual(
      [],
    );
    expect(jwtVerify({ ...shared, failPolicy: "open" })).toEqual(["failPolicy"]);
    expect(jwtVerify({ ...shared, allowMissingExp: "yes" })).toEqual(["allowMissingExp"]);
  });
});

describe("oauth2", () => {
  const clientCredentials = {
    grantType: "client_credentials",
    tokenUrl: "https://a.example/t",
    clientId: "c",
    clientSecret: "s",
  };

  it("authenticates at the token endpoint with client_secret_basic unless told client_secret_post", () => {
    expect(parseOrThrow(secretSchemas.oauth2, clientCredentials)).toMatchObject({
      tokenEndpointAuthMethod: "client_secret_basic",
    });
    expect(
      parseOrThrow(secretSchemas.oauth2, {
        ...clientCredentials,
        tokenEndpointAuthMethod: "client_secret_post",
      }),
    ).toMatchObject({ tokenEndpointAuthMethod: "client_secret_post" });
    expect(secret("oauth2", { ...clientCredentials, tokenEndpointAuthMethod: "private_key_jwt" })).toEqual([
      "tokenEndpointAuthMethod",
    ]);
  });

  it("takes up to 100 scopes, each without white space", () => {
    expect(secret("oauth2", { ...clientCredentials, scopes: Array(100).fill("read") })).toEqual([]);
    expect(secret("oauth2", { ...clientCredentials, scopes: Array(101).fill("read") })).toEqual(["scopes"]);
    for (const scope of ["", " read", "read ", "a b"])
      expect(secret("oauth2", { ...clientCredentials, scopes: [scope] }), scope).toEqual(["scopes.0"]);
  });

  it("takes an authorization code grant without a client secret, PKCE on unless turned off", () => {
    const code = {
      grantType: "authorization_code",
      authorizationUrl: "https://a.example/authorize",
      tokenUrl: "https://a.example/t",
      clientId: "c",
      redirectUri: "https://app.example/cb",
    };
    expect(parseOrThrow(secretSchemas.oauth2, { ...code, pkce: false })).toMatchObject({ pkce: false });
    expect(secret("oauth2", { ...code, redirectUri: "app/cb" })).toEqual(["redirectUri"]);
    expect(secret("oauth2", { ...code, grantType: "password" })).toEqual(["grantType"]);
  });
});

describe("customToken and custom", () => {
  const tokenUrl = "https://a.example/t";

  it("takes GET or POST, a text or JSON body of safe text, and a lifetime of 1 s to 30 days", () => {
    const custom = (value: object) => secret("customToken", { tokenUrl, ...value });
    expect(parseOrThrow(secretSchemas.customToken, { tokenUrl, method: "GET" })).toMatchObject({
      method: "GET",
    });
    expect(custom({ method: "PUT" })).toEqual(["method"]);
    expect(custom({ body: "a=1" })).toEqual([]);
    expect(custom({ body: { a: [{ b: "c" }], n: 1, t: true, z: null } })).toEqual([]);
    // Unsafe text anywhere in a JSON body: a value, an array item, a key.
    for (const body of [
      { a: "\u202E" },
      { a: ["x", "\u202E"] },
      { "\u202E": 1 },
      { a: { b: "\u2028" } },
      { ok: "x", bad: "\u202E" },
    ])
      expect(custom({ body }), JSON.stringify(body)).toEqual(["body"]);
    for (const ttlSeconds of [1, 86400 * 30]) expect(custom({ ttlSeconds })).toEqual([]);
    for (const ttlSeconds of [0, 86400 * 30 + 1]) expect(custom({ ttlSeconds })).toEqual(["ttlSeconds"]);
    expect(custom({ headerPrefix: "Token " })).toEqual([]);
    expect(custom({ headerPrefix: "a\nb" })).toEqual(["headerPrefix"]);
    expect(custom({ tokenPath: "" })).toEqual(["tokenPath"]);
  });

  it("needs at least one header for custom, and takes a query", () => {
    expect(secret("custom", { headers: { "X-A": "v" } })).toEqual([]);
    expect(secret("custom", { headers: {} })).toEqual(["headers"]);
    expect(secret("custom", { headers: { "X-A": "v" }, query: { "": "v" } })).toEqual(["query."]);
  });

  it("takes nothing for none", () => {
    expect(secret("none", {})).toEqual([]);
    expect(secret("none", { token: "t" })).toEqual(["body"]);
  });
});

describe("create and update bodies", () => {
  const body = { credentialName: "n", credentialType: "proxy", authType: "bearer" };

  it("trims the name, refusing an empty one and one with control characters", () => {
    expect(parseOrThrow(createCredentialBody, { ...body, credentialName: "  name  " })).toMatchObject({
      credentialName: "name",
      singleUse: false,
      credentialDefaultRuleEffect: "allow",
    });
    for (const credentialName of ["   ", "", "a\u0007b", "n".repeat(257)])
      expect(pathsOf(createCredentialBody, { ...body, credentialName }), credentialName).toEqual([
        "credentialName",
      ]);
    expect(pathsOf(createCredentialBody, { ...body, credentialName: ` ${"n".repeat(256)} ` })).toEqual([]);
  });

  it("takes a region name, a parent client id and an expiry with its offset", () => {
    const create = (value: object) => pathsOf(createCredentialBody, { ...body, ...value });
    expect(
      create({ region: "eu-west-1", parentId: "p.a_r:e@n-t", expiresAt: "2030-01-31T00:00:00+02:00" }),
    ).toEqual([]);
    for (const region of ["EU-west-1", "-eu", "eu-", "eu west", "r".repeat(33)])
      expect(create({ region }), region).toEqual(["region"]);
    for (const parentId of ["-p", "p p", "p/q", "p".repeat(129)])
      expect(create({ parentId }), parentId).toEqual(["parentId"]);
    expect(create({ expiresAt: "2030-01-31T00:00:00" })).toEqual(["expiresAt"]);
    expect(create({ credentialDefaultRuleEffect: "maybe" })).toEqual(["credentialDefaultRuleEffect"]);
  });

  it("takes a partial update, null expiry included, and refuses unknown fields", () => {
    expect(parseOrThrow(updateCredentialBody, {})).toEqual({});
    expect(parseOrThrow(updateCredentialBody, { expiresAt: null, credentialName: " n " })).toEqual({
      expiresAt: null,
      credentialName: "n",
    });
    expect(pathsOf(updateCredentialBody, { name: "n" })).toEqual(["body"]);
  });
});

describe("webhook body", () => {
  const webhook = (value: object) =>
    pathsOf(createWebhookBody, { url: "https://h.example/in", eventTypes: ["credential.created"], ...value });

  it("refuses a URL that carries a user name or password, in any letter case of its scheme", () => {
    expect(webhook({})).toEqual([]);
    expect(webhook({ url: "https://h.example/in?u=a@b" })).toEqual([]);
    expect(webhook({ url: "https://h.example/in#a@b" })).toEqual([]);
    for (const url of ["https://user:pw@h.example/in", "HTTPS://user@h.example/", "http://@h.example/"])
      expect(webhook({ url }), url).toEqual(["url"]);
    // An `@` after the host (in the path, or a URL carried in the query) names no user.
    for (const url of ["https://h.example/in/a@b", "https://h.example/in?next=https://u@other.example/"])
      expect(webhook({ url }), url).toEqual([]);
    // Extra slashes the URL parser skips: it reads (and a delivery sends) `user:pw` as the user info.
    for (const url of ["http:///user:pw@h.example/in", "https:////user@h.example/", "http:///:pw@h.example/"])
      expect(webhook({ url }), url).toEqual(["url"]);
  });

  it("takes one to every event type, each known", () => {
    expect(webhook({ eventTypes: [] })).toEqual(["eventTypes"]);
    expect(webhook({ eventTypes: ["credential.made"] })).toEqual(["eventTypes.0"]);
    expect(webhook({ eventTypes: [...eventTypes] })).toEqual([]);
    expect(webhook({ eventTypes: [...eventTypes, "credential.created"] })).toEqual(["eventTypes"]);
  });
});

describe("every length at and past its bound", () => {
  const tokenUrl = "https://a.example/t";
  const custom = (value: object) => secret("customToken", { tokenUrl, ...value });
  const clientCredentials = (value: object) =>
    secret("oauth2", {
      grantType: "client_credentials",
      tokenUrl,
      clientId: "c",
      clientSecret: "s",
      ...value,
    });

  it("takes a URL of 2048 characters, not 2049", () => {
    const url = (length: number) => `https://a.example/${"p".repeat(length - "https://a.example/".length)}`;
    expect(custom({ tokenUrl: url(2048) })).toEqual([]);
    expect(custom({ tokenUrl: url(2049) })).toEqual(["tokenUrl"]);
  });

  it("takes a short text (client id, audience) of 1024 characters, not 1025", () => {
    expect(clientCredentials({ clientId: "c".repeat(1024), audience: "a".repeat(1024) })).toEqual([]);
    expect(clientCredentials({ clientId: "c".repeat(1025) })).toEqual(["clientId"]);
    expect(clientCredentials({ audience: "a".repeat(1025) })).toEqual(["audience"]);
  });

  it("takes a scope of 256 characters, not 257", () => {
    expect(clientCredentials({ scopes: ["s".repeat(256)] })).toEqual([]);
    expect(clientCredentials({ scopes: ["s".repeat(257)] })).toEqual(["scopes.0"]);
  });

  it("bounds every customToken text: body 65536, paths 256, header prefix 64", () => {
    expect(custom({ body: "b".repeat(65536) })).toEqual([]);
    expect(custom({ body: "b".repeat(65537) })).toEqual(["body"]);
    for (const field of ["tokenPath", "expiresInPath"]) {
      expect(custom({ [field]: "p".repeat(256) }), field).toEqual([]);
      expect(custom({ [field]: "p".repeat(257) }), field).toEqual([field]);
      expect(custom({ [field]: "" }), field).toEqual([field]);
    }
    expect(custom({ headerPrefix: "p".repeat(64) })).toEqual([]);
    expect(custom({ headerPrefix: "" })).toEqual([]);
    expect(custom({ headerPrefix: "p".repeat(65) })).toEqual(["headerPrefix"]);
    expect(custom({ headerName: "X Token" })).toEqual(["headerName"]);
  });

  it("bounds a custom query: names of 1 to 256 characters, values of up to 8192", () => {
    const query = (value: Record<string, string>) =>
      secret("custom", { headers: { "X-A": "v" }, query: value });
    expect(query({ ["q".repeat(256)]: "v".repeat(8192), e: "" })).toEqual([]);
    expect(query({ ["q".repeat(257)]: "v" })).toEqual([`query.${"q".repeat(257)}`]);
    expect(query({ q: "v".repeat(8193) })).toEqual(["query.q"]);
  });
});

describe("the lists a schema takes", () => {
  it("takes every asymmetric algorithm with a JWKS and every HS* with a shared secret", () => {
    const base = { issuer: "i", audience: "a" };
    for (const alg of [
      "RS256",
      "RS384",
      "RS512",
      "PS256",
      "PS384",
      "PS512",
      "ES256",
      "ES384",
      "ES512",
      "EdDSA",
    ]) {
      expect(
        secret("jwtVerify", { ...base, algorithms: [alg], jwksUri: "https://i.example/j" }),
        alg,
      ).toEqual([]);
      expect(secret("jwtVerify", { ...base, algorithms: [alg], secret: "s".repeat(32) }), alg).toEqual([
        "algorithms",
      ]);
    }
    for (const alg of ["HS256", "HS384", "HS512"])
      expect(secret("jwtVerify", { ...base, algorithms: [alg], secret: "s".repeat(32) }), alg).toEqual([]);
    expect(secret("jwtVerify", { ...base, algorithms: ["none"], secret: "s".repeat(32) })).toEqual([
      "algorithms.0",
    ]);
  });

  it("takes each default when it is sent (zod fills a default without checking it against the enum)", () => {
    const shared = { algorithms: ["HS256"], issuer: "i", audience: "a", secret: "s".repeat(32) };
    expect(secret("jwtVerify", { ...shared, failPolicy: "fail-closed" })).toEqual([]);
    const clientCredentials = {
      grantType: "client_credentials",
      tokenUrl: "https://a.example/t",
      clientId: "c",
    };
    expect(
      secret("oauth2", {
        ...clientCredentials,
        clientSecret: "s",
        tokenEndpointAuthMethod: "client_secret_basic",
      }),
    ).toEqual([]);
    expect(secret("customToken", { tokenUrl: "https://a.example/t", method: "POST" })).toEqual([]);
  });

  it("keeps the proxy/target matrix exactly", () => {
    expect(allowedAuthTypes).toEqual({
      proxy: ["apiKey", "bearer", "jwt", "basicAuth", "jwtVerify"],
      target: ["apiKey", "bearer", "jwt", "basicAuth", "oauth2", "customToken", "custom", "none"],
    });
  });

  it("documents every reason a verification can be refused for", () => {
    // Typed against the verifier's own reasons: a reason added there must be added to the answer schema.
    const reasons: Record<VerifyFailureReason, true> = {
      NO_CREDENTIAL: true,
      INVALID: true,
      EXPIRED: true,
      DENIED: true,
      JWKS_UNAVAILABLE: true,
    };
    for (const reason of Object.keys(reasons))
      expect(pathsOf(verifyResponse, { allowed: false, reason }), reason).toEqual([]);
    expect(pathsOf(verifyResponse, { allowed: false, reason: "" })).toEqual(["reason"]);
  });
});
