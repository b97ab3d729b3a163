import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { type CreateExtras, memoryStore } from "@credkit/test-support";
import { generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { OAuth2Server } from "oauth2-mock-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Actor,
  type CreateCredentialInput,
  createAddressPolicy,
  createCredentialService,
  createKeyring,
  createOutboundFetch,
  type OutboundFetch,
  type SecretInputOf,
} from "../src/index.js";

const admin: Actor = { userId: "alice", clientIds: "*", scopes: ["resolve"] };
const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
const issuer = new OAuth2Server();
let issuerUrl: string;
let jwksUri: string;
let rsaKid: string;
let closedPort: number;

beforeAll(async () => {
  rsaKid = (await issuer.issuer.keys.generate("RS256")).kid;
  await issuer.start(0, "127.0.0.1");
  issuerUrl = issuer.issuer.url as string;
  jwksUri = `${issuerUrl}/jwks`;
  // A port nobody listens on: the "JWKS is down" case.
  const probe = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => probe.once("listening", resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(() => issuer.stop());

/** A service whose outbound fetch may reach loopback, counting JWKS fetches. */
function setup(jwks: { cooldownMs?: number } = {}, allowLoopback = true) {
  const fetches: string[] = [];
  const base = createOutboundFetch({
    policy: createAddressPolicy(allowLoopback ? ["127.0.0.1"] : []),
    timeoutMs: 2000,
  });
  const outboundFetch: OutboundFetch = (url, init) => {
    fetches.push(String(url));
    return base(url, init);
  };
  const service = createCredentialService({
    regions: { "eu-west-1": memoryStore() },
    keyring,
    defaultRegion: "eu-west-1",
    outboundFetch,
    jwks: { cooldownMs: jwks.cooldownMs ?? 0 },
  });
  return { service, fetches, clientId: `c-${randomUUID()}` };
}

const jwtVerify = (
  secret: Partial<SecretInputOf<"jwtVerify">>,
  extra: CreateExtras = {},
): CreateCredentialInput => ({
  credentialName: "issuer",
  credentialType: "proxy",
  authType: "jwtVerify",
  secret: { algorithms: ["RS256", "ES256"], issuer: issuerUrl, audience: "api", jwksUri, ...secret },
  ...extra,
});

type Claims = Record<string, unknown>;
const token = (claims: Claims = {}, options: { kid?: string; expiresIn?: number } = {}) =>
  issuer.issuer.buildToken({
    ...(options.kid ? { kid: options.kid } : {}),
    expiresIn: options.expiresIn ?? 300,
    scopesOrTransform: (_header, payload) => {
      Object.assign(payload, { aud: "api", sub: "user-1" }, claims);
    },
  });
const now = () => Math.floor(Date.now() / 1000);

async function verify(service: ReturnType<typeof setup>["service"], clientId: string, jwt: string) {
  return service.verifyProxyRequest(admin, clientId, { headers: { authorization: `Bearer ${jwt}` } });
}

describe("jwtVerify against a real JWKS issuer on loopback", () => {
  it("verifies signature, issuer, audience and subject", async () => {
    const { service, clientId } = setup();
    await service.create(admin, clientId, jwtVerify({ subject: "user-1" }));
    expect(await verify(service, clientId, await token())).toMatchObject({
      ok: true,
      credential: { credentialAuthType: "jwtVerify" },
    });
    expect(await verify(service, clientId, await token({ aud: "other" }))).toEqual({
      ok: false,
      reason: "INVALID",
    });
    expect(await verify(service, clientId, await token({ sub: "user-2" }))).toEqual({
      ok: false,
      reason: "INVALID",
    });
    // Another issuer has no credential here.
    expect(await verify(service, clientId, await token({ iss: "https://evil.example" }))).toEqual({
      ok: false,
      reason: "NO_CREDENTIAL",
    });
    // A tampered payload fails the signature.
    const [h, , s] = (await token()).split(".");
    const forged = Buffer.from(
      JSON.stringify({ iss: issuerUrl, aud: "api", sub: "user-1", exp: now() + 60 }),
    ).toString("base64url");
    expect(await verify(service, clientId, `${h}.${forged}.${s}`)).toEqual({ ok: false, reason: "INVALID" });
  });

  it("applies exp and nbf with the configured clock skew, at the boundary", async () => {
    const { service, clientId } = setup();
    await service.create(admin, clientId, jwtVerify({ clockSkewSeconds: 30 }));
    expect(await verify(service, clientId, await token({ exp: now() - 10 }))).toMatchObject({ ok: true });
    expect(await verify(service, clientId, await token({ exp: now() - 60 }))).toEqual({
      ok: false,
      reason: "EXPIRED",
    });
    expect(await verify(service, clientId, await token({ nbf: now() + 10 }))).toMatchObject({ ok: true });
    expect(await verify(service, clientId, await token({ nbf: now() + 60 }))).toEqual({
      ok: false,
      reason: "INVALID",
    });
  });

  it("refuses alg confusion: none, and HS256 signed with the public key", async () => {
    const { service, clientId } = setup();
    await service.create(admin, clientId, jwtVerify({}));
    const claims = { iss: issuerUrl, aud: "api", sub: "user-1" };
    const unsecured = new UnsecuredJWT(claims).setExpirationTime("5m").encode();
    expect(await verify(service, clientId, unsecured)).toEqual({ ok: false, reason: "INVALID" });
    const publicJwk = issuer.issuer.keys.toJSON()[0] as Record<string, unknown>;
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: rsaKid })
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    expect(await verify(service, clientId, hs)).toEqual({ ok: false, reason: "INVALID" });
  });

  it("refetches the JWKS for an unknown kid (key rotation at the issuer), within the cooldown only once", async () => {
    const { service, clientId, fetches } = setup({ cooldownMs: 0 });
    await service.create(admin, clientId, jwtVerify({}));
    expect(await verify(service, clientId, await token())).toMatchObject({ ok: true });
    expect(fetches).toHaveLength(1);
    expect(await verify(service, clientId, await token())).toMatchObject({ ok: true });
    expect(fetches).toHaveLength(1); // cached
    const rotated = await issuer.issuer.keys.generate("ES256");
    expect(await verify(service, clientId, await token({}, { kid: rotated.kid }))).toMatchObject({
      ok: true,
    });
    expect(fetches).toHaveLength(2);

    const cool = setup({ cooldownMs: 60_000 });
    await cool.service.create(admin, cool.clientId, jwtVerify({}));
    expect(await verify(cool.service, cool.clientId, await token({}, { kid: rsaKid }))).toMatchObject({
      ok: true,
    });
    const late = await issuer.issuer.keys.generate("RS256");
    // Within the cooldown an unknown kid does not trigger another fetch: it is refused.
    expect(await verify(cool.service, cool.clientId, await token({}, { kid: late.kid }))).toEqual({
      ok: false,
      reason: "INVALID",
    });
    expect(cool.fetches).toHaveLength(1);
  });

  it("fails closed or open when the JWKS cannot be fetched", async () => {
    const down = `http://127.0.0.1:${closedPort}/jwks`;
    const { service, clientId } = setup();
    await service.create(admin, clientId, jwtVerify({ jwksUri: down }));
    expect(await verify(service, clientId, await token())).toEqual({ ok: false, reason: "JWKS_UNAVAILABLE" });

    const open = setup();
    await open.service.create(admin, open.clientId, jwtVerify({ jwksUri: down, failPolicy: "fail-open" }));
    expect(await verify(open.service, open.clientId, await token())).toMatchObject({
      ok: true,
      degraded: true,
    });
  });

  it("refuses a loopback JWKS unless the outbound policy allows it", async () => {
    const { service, clientId, fetches } = setup({}, false);
    await service.create(admin, clientId, jwtVerify({}));
    expect(await verify(service, clientId, await token())).toEqual({ ok: false, reason: "JWKS_UNAVAILABLE" });
    expect(fetches).toHaveLength(1);
  });

  it("verifies HS256 with a shared secret and nothing else", async () => {
    const { service, clientId } = setup();
    const secret = randomBytes(32).toString("hex");
    await service.create(admin, clientId, {
      credentialName: "hs",
      credentialType: "proxy",
      authType: "jwtVerify",
      secret: { algorithms: ["HS256"], issuer: "https://hs.example", audience: "api", secret },
    });
    const sign = (key: string) =>
      new SignJWT({ aud: "api" })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuer("https://hs.example")
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(key));
    expect(await verify(service, clientId, await sign(secret))).toMatchObject({ ok: true });
    expect(await verify(service, clientId, await sign(`${secret}x`))).toEqual({
      ok: false,
      reason: "INVALID",
    });
  });

  it("consumes a single-use jwtVerify credential once", async () => {
    const { service, clientId } = setup();
    await service.create(admin, clientId, jwtVerify({}, { singleUse: true }));
    const jwt = await token();
    const results = await Promise.all(Array.from({ length: 10 }, () => verify(service, clientId, jwt)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });
});

describe("jwtVerify signature checks started before the lookups answer", () => {
  it("never use a check made against a configuration the credential no longer has", async () => {
    const { service, clientId } = setup();
    const { credentialId } = await service.create(admin, clientId, jwtVerify({}));
    const jwt = await token();
    expect(await verify(service, clientId, jwt)).toMatchObject({ ok: true });
    // The next verification starts its check with the remembered configuration (audience "api")…
    await service.update(admin, clientId, credentialId, {
      secret: { algorithms: ["RS256", "ES256"], issuer: issuerUrl, audience: "other-api", jwksUri },
    });
    // …but the lookups lead to version 2, so it is checked again against audience "other-api".
    expect(await verify(service, clientId, jwt)).toEqual({ ok: false, reason: "INVALID" });
    expect(await verify(service, clientId, await token({ aud: "other-api" }))).toMatchObject({ ok: true });
    await service.delete(admin, clientId, credentialId);
    expect(await verify(service, clientId, await token({ aud: "other-api" }))).toEqual({
      ok: false,
      reason: "NO_CREDENTIAL",
    });
  });
});

describe("fail-open while keys are cached (issue 10)", () => {
  /** A fail-open service whose JWKS endpoint can be taken down after the first fetch. */
  async function cachedThenDown(extra: Record<string, unknown> = {}) {
    let down = false;
    const base = createOutboundFetch({ policy: createAddressPolicy(["127.0.0.1"]), timeoutMs: 2000 });
    const service = createCredentialService({
      regions: { "eu-west-1": memoryStore() },
      keyring,
      defaultRegion: "eu-west-1",
      outboundFetch: (url, init) => (down ? Promise.reject(new Error("JWKS down")) : base(url, init)),
      jwks: { cooldownMs: 0 },
    });
    const clientId = `c-${randomUUID()}`;
    await service.create(admin, clientId, jwtVerify({ failPolicy: "fail-open", ...extra }));
    expect(await verify(service, clientId, await token())).toMatchObject({ ok: true });
    down = true;
    return { service, clientId };
  }
  // One attacker key for every forgery: an RSA key pair per token took seconds on a loaded machine
  // (a test timed out at 15 s under load 22) and a fresh key proves nothing more.
  let attackerKey: ReturnType<typeof generateKeyPair> | undefined;
  const forged = async (claims: Claims, kid = "attacker-kid") => {
    attackerKey ??= generateKeyPair("RS256");
    const { privateKey } = await attackerKey;
    return new SignJWT({ aud: "api", sub: "user-1", ...claims })
      .setProtectedHeader({ alg: "RS256", kid })
      .setIssuer(issuerUrl)
      .sign(privateKey);
  };

  it("refuses a token signed by another key with an unknown kid, checked against the cached keys", async () => {
    const { service, clientId } = await cachedThenDown();
    const exp = now() + 300;
    expect(await verify(service, clientId, await forged({ exp }))).toEqual({ ok: false, reason: "INVALID" });
    // Same kid as a cached key, wrong signature: refused too.
    expect(await verify(service, clientId, await forged({ exp }, rsaKid))).toEqual({
      ok: false,
      reason: "INVALID",
    });
    // Genuine tokens still verify with the cached keys, not degraded.
    expect(await verify(service, clientId, await token())).toMatchObject({ ok: true });
    expect(await verify(service, clientId, await token())).not.toHaveProperty("degraded");
  });

  it("never skips the key-free claim checks, even with no key set at all", async () => {
    const down = `http://127.0.0.1:${closedPort}/jwks`;
    const { service, clientId } = setup();
    await service.create(admin, clientId, jwtVerify({ jwksUri: down, failPolicy: "fail-open" }));
    const exp = now() + 300;
    expect(await verify(service, clientId, await forged({ exp }))).toMatchObject({
      ok: true,
      degraded: true,
    });
    expect(await verify(service, clientId, await forged({ exp: now() - 60 }))).toEqual({
      ok: false,
      reason: "EXPIRED",
    });
    expect(await verify(service, clientId, await forged({ exp, aud: "other" }))).toEqual({
      ok: false,
      reason: "INVALID",
    });
    expect(await verify(service, clientId, await forged({ exp, nbf: now() + 600 }))).toEqual({
      ok: false,
      reason: "INVALID",
    });
    expect(await verify(service, clientId, await forged({ exp, iat: now() + 3600 }))).toEqual({
      ok: false,
      reason: "INVALID",
    });
    expect(await verify(service, clientId, await forged({}))).toEqual({ ok: false, reason: "INVALID" });
  });

  it("refuses tokens without exp or with a future iat when verified, unless exp is opted out", async () => {
    const { service, clientId } = setup();
    await service.create(admin, clientId, jwtVerify({}));
    const noExp = await token({ exp: undefined });
    expect(await verify(service, clientId, noExp)).toEqual({ ok: false, reason: "INVALID" });
    expect(await verify(service, clientId, await token({ iat: now() + 3600 }))).toEqual({
      ok: false,
      reason: "INVALID",
    });
    const optOut = setup();
    await optOut.service.create(admin, optOut.clientId, jwtVerify({ allowMissingExp: true }));
    expect(await verify(optOut.service, optOut.clientId, noExp)).toMatchObject({ ok: true });
  });
});
