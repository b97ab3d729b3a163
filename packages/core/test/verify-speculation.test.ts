import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { SignJWT } from "jose";
import { describe, expect, it, vi } from "vitest";
import { type Actor, type CredentialStore, createCredentialService, createKeyring } from "../src/index.js";
import { createJwtVerifier, type JwtVerifier } from "../src/proxy/jwt-verifier.js";
import { createProxyVerifier } from "../src/proxy/verify.js";
import { createRecords } from "../src/records/records.js";
import { createRegionRouter } from "../src/regions.js";

// The verifier's JWT speculation, seen from outside: a token whose issuer led to a jwtVerify
// credential before has its signature checked while the lookups are still on their way (the check
// is counted, the store's answer held back), reused when the lookups lead to that credential, and
// not started again once they led elsewhere. jwt-check.test.ts shows the speculation's own rules.
const admin: Actor = { userId: "alice", clientIds: "*", scopes: [] };
const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
const ISSUER = "https://hs.example";

/**
 * A verifier over one memory store whose lookups can be held, counting the signature checks it
 * starts; the service over the same store writes the credentials.
 */
function setup() {
  const base = memoryStore();
  const gate = { held: false, waiting: [] as (() => void)[], lookups: 0 };
  const store: CredentialStore = {
    ...base,
    findByLookups: async (clientId, hashes) => {
      gate.lookups++;
      if (gate.held) await new Promise<void>((release) => gate.waiting.push(release));
      return base.findByLookups(clientId, hashes);
    },
  };
  const regions = { "eu-west-1": base };
  const service = createCredentialService({ regions, keyring, defaultRegion: "eu-west-1" });
  const router = createRegionRouter({ "eu-west-1": store });
  const records = createRecords({ router, keyring, expiredRetentionMs: 0 });
  const real = createJwtVerifier({
    fetch: async () => new Response("", { status: 500 }),
    now: Date.now,
  });
  const checks: string[] = [];
  const jwt: JwtVerifier = {
    verify: (token, config) => {
      checks.push(token);
      return real.verify(token, config);
    },
  };
  const verify = createProxyVerifier({ router, keyring, jwt, open: records.open, now: Date.now });
  const release = () => {
    gate.held = false;
    for (const go of gate.waiting.splice(0)) go();
  };
  return { service, verify, gate, release, checks, clientId: `c-${randomUUID()}` };
}

const secret = randomBytes(32).toString("hex");
const sign = (issuer = ISSUER) =>
  new SignJWT({ aud: "api" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(issuer)
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(secret));
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function createJwtVerify(service: ReturnType<typeof setup>["service"], clientId: string) {
  return service.create(admin, clientId, {
    credentialName: "hs",
    credentialType: "proxy",
    authType: "jwtVerify",
    secret: { algorithms: ["HS256"], issuer: ISSUER, audience: "api", secret },
  });
}

describe("the verifier's JWT speculation", () => {
  it("checks the signature while the lookups are on their way, once the issuer led to a credential", async () => {
    const { service, verify, gate, release, checks, clientId } = setup();
    await createJwtVerify(service, clientId);
    const first = await sign();
    expect(await verify(clientId, bearer(first))).toMatchObject({ ok: true });
    expect(checks).toEqual([first]); // the first token of an issuer: checked after the lookups
    const second = await sign();
    gate.held = true;
    const verdict = verify(clientId, bearer(second));
    await vi.waitFor(() => expect(gate.waiting).toHaveLength(1));
    expect(checks).toEqual([first, second]); // started before the store answered
    release();
    expect(await verdict).toMatchObject({ ok: true });
    expect(checks).toEqual([first, second]); // and reused: not checked twice
  });

  it("starts no check for a token without an issuer, nor for an issuer never seen", async () => {
    const { service, verify, gate, release, checks, clientId } = setup();
    await createJwtVerify(service, clientId);
    gate.held = true;
    const other = await sign("https://other.example");
    const verdict = verify(clientId, bearer(other));
    await vi.waitFor(() => expect(gate.waiting).toHaveLength(1));
    expect(checks).toEqual([]);
    release();
    expect(await verdict).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    gate.held = true;
    const opaque = verify(clientId, bearer("opaque-token-0123"));
    await vi.waitFor(() => expect(gate.waiting).toHaveLength(1));
    release();
    expect(await opaque).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    expect(checks).toEqual([]);
  });

  it("stops speculating on a credential once the lookups led elsewhere", async () => {
    const { service, verify, checks, clientId } = setup();
    const { credentialId } = await createJwtVerify(service, clientId);
    expect(await verify(clientId, bearer(await sign()))).toMatchObject({ ok: true });
    await service.delete(admin, clientId, credentialId);
    // The first token after the delete is speculated on (the verifier cannot know yet) ...
    expect(await verify(clientId, bearer(await sign()))).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    expect(checks).toHaveLength(2);
    // ... the next ones are not.
    expect(await verify(clientId, bearer(await sign()))).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    expect(await verify(clientId, bearer(await sign()))).toEqual({ ok: false, reason: "NO_CREDENTIAL" });
    expect(checks).toHaveLength(2);
  });
});
