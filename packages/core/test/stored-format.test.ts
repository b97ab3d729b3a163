import { readFileSync } from "node:fs";
import { memoryStore } from "@credkit/test-support";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { type Actor, createCredentialService, createKeyring, type StoredCredential } from "../src/index.js";

// Records written by the code before the record layer existed (see the fixture's note): existing data
// must keep working, and what the code writes today must keep the same shape.
const fixture = JSON.parse(readFileSync(new URL("./fixtures/records-v1.json", import.meta.url), "utf8")) as {
  clientId: string;
  ids: Record<string, string>;
  records: StoredCredential[];
};
const keyring = createKeyring({
  activeKeyId: "fixture-k1",
  keys: [{ id: "fixture-k1", key: Buffer.alloc(32, 7) }],
});
const admin: Actor = { userId: "fixture-user", clientIds: "*", scopes: ["resolve"] };
const writtenAt = Date.parse(fixture.records[0]?.createdAt ?? "");
const { clientId, ids } = fixture;

async function loaded() {
  const store = memoryStore({ clock: () => writtenAt + 1000 });
  for (const record of fixture.records) await store.create({ ...record, version: 1 });
  // Stores keep the version they are given only through updates: bring each to its stored version.
  for (const record of fixture.records) {
    for (let v = 1; v < record.version; v++) {
      const current = (await store.get(clientId, record.credentialId)) as StoredCredential;
      await store.update({ ...record, version: v + 1 }, current.version);
    }
  }
  const service = createCredentialService({
    regions: { "eu-west-1": store },
    keyring,
    defaultRegion: "eu-west-1",
    now: () => writtenAt + 1000,
  });
  return { store, service };
}

describe("records written by the previous code", () => {
  it("are listed and read back with their public views", async () => {
    const { service } = await loaded();
    const page = await service.list(admin, clientId, { includeTemporary: true });
    expect(page.credentials.map((c) => c.credentialId).sort()).toEqual(Object.values(ids).sort());
    const oauth = await service.get(admin, clientId, ids.targetOauth as string);
    expect(oauth).toMatchObject({ credentialAuthType: "oauth2", credentialVersion: 2 });
  });

  it("verify as proxy credentials", async () => {
    const { service } = await loaded();
    const verify = (headers: Record<string, string>) =>
      service.verifyProxyRequest(admin, clientId, { headers });
    expect(await verify({ "x-api-key": "fixture-api-key" })).toMatchObject({ ok: true });
    expect(await verify({ authorization: "Bearer fixture-bearer" })).toMatchObject({ ok: true });
    expect(await verify({ authorization: `Basic ${Buffer.from("u:p").toString("base64")}` })).toMatchObject({
      ok: true,
    });
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("https://issuer.example")
      .setAudience("aud")
      .setIssuedAt(Math.floor(writtenAt / 1000))
      .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
      .sign(new TextEncoder().encode("fixture-hmac-secret-of-enough-length-32b"));
    expect(await verify({ authorization: `Bearer ${jwt}` })).toMatchObject({
      ok: true,
      credential: { credentialId: ids.proxyJwtVerify },
    });
  });

  it("resolve as target credentials, the cached token included", async () => {
    const { service } = await loaded();
    const resolve = (id: string | undefined) => service.resolveTargetAuth(admin, clientId, id as string);
    expect(await resolve(ids.targetApiKey)).toEqual({ headers: { "x-key": "t-key" }, query: {} });
    expect(await resolve(ids.targetCustom)).toEqual({ headers: { "x-a": "1" }, query: { q: "2" } });
    expect(await resolve(ids.targetNone)).toEqual({ headers: {}, query: {} });
    expect(await resolve(ids.targetOauth)).toEqual({
      headers: { Authorization: "Bearer cached-access" },
      query: {},
    });
    await expect(resolve(ids.targetAuthCode)).rejects.toMatchObject({ code: "REAUTHORIZATION_REQUIRED" });
  });

  it("keep their shape: a record written now has the same fields", async () => {
    const { service, store } = await loaded();
    const created = await service.create(admin, clientId, {
      credentialName: "new",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "x-api-key", keyValue: "new-key-long-enough" },
    });
    const stored = (await store.get(clientId, created.credentialId)) as StoredCredential;
    const old = fixture.records.find((r) => r.credentialId === ids.proxyApiKey) as StoredCredential;
    expect(Object.keys(stored).sort()).toEqual(Object.keys(old).sort());
    expect(stored.secret).toMatch(/^ck1\.fixture-k1\./);
    expect(stored.lookupHash?.length).toBe(old.lookupHash?.length);
  });
});
