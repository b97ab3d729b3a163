import { admin, target, targetService } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { recordIdentity } from "../src/crypto/envelope.js";
import { type StoredCredential, systemActor } from "../src/index.js";

describe("resolveTargetAuth: static target credentials", () => {
  it.each([
    [
      target("apiKey", { keyName: "X-Api-Key", keyValue: "k-123" }),
      { headers: { "X-Api-Key": "k-123" }, query: {} },
    ],
    [target("bearer", { token: "b-123" }), { headers: { Authorization: "Bearer b-123" }, query: {} }],
    [target("jwt", { token: "aa.bb.cc" }), { headers: { Authorization: "Bearer aa.bb.cc" }, query: {} }],
    [
      target("basicAuth", { username: "ann", password: "p:ss wörd" }),
      { headers: { Authorization: `Basic ${Buffer.from("ann:p:ss wörd").toString("base64")}` }, query: {} },
    ],
    [
      target("custom", { headers: { "X-One": "1", "X-Two": "2" }, query: { api_key: "q-1" } }),
      { headers: { "X-One": "1", "X-Two": "2" }, query: { api_key: "q-1" } },
    ],
    [target("custom", { headers: { "X-One": "1" } }), { headers: { "X-One": "1" }, query: {} }],
    [target("none", {}), { headers: {}, query: {} }],
  ])("static target %# → its headers and query", async (body, expected) => {
    const { service, clientId } = targetService();
    const created = await service.create(admin, clientId, body);
    expect(await service.resolveTargetAuth(admin, clientId, created.credentialId)).toEqual(expected);
    // The result is a fresh object: mutating it changes nothing for the next caller.
    const first = await service.resolveTargetAuth(admin, clientId, created.credentialId);
    first.headers.Injected = "x";
    expect(await service.resolveTargetAuth(admin, clientId, created.credentialId)).toEqual(expected);
  });

  it("resolves `none` created without a secret, and shows every static credential as active", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(admin, clientId, {
      credentialName: "open",
      credentialType: "target",
      authType: "none",
    });
    expect(created.credentialStatus).toBe("active");
    expect(await service.resolveTargetAuth(admin, clientId, created.credentialId)).toEqual({
      headers: {},
      query: {},
    });
  });

  it("refuses proxy credentials, unknown ids and other clients' credentials", async () => {
    const { service, clientId } = targetService();
    const proxy = await service.create(admin, clientId, {
      credentialName: "p",
      credentialType: "proxy",
      authType: "bearer",
      secret: { token: "proxy-secret-1-long" },
    });
    await expect(service.resolveTargetAuth(admin, clientId, proxy.credentialId)).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    const created = await service.create(admin, clientId, target("bearer", { token: "t-1" }));
    await expect(
      service.resolveTargetAuth(admin, `${clientId}-other`, created.credentialId),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      service.resolveTargetAuth(admin, clientId, "eu-west-1.AAAAAAAAAAAAAAAAAAAAAA"),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(service.resolveTargetAuth(admin, clientId, "not-an-id")).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      service.resolveTargetAuth(admin, "bad client id!", created.credentialId),
    ).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
  });

  it("uses the new secret right after an update", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(admin, clientId, target("bearer", { token: "old-token" }));
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    await service.update(admin, clientId, created.credentialId, { secret: { token: "new-token" } });
    expect(await service.resolveTargetAuth(admin, clientId, created.credentialId)).toEqual({
      headers: { Authorization: "Bearer new-token" },
      query: {},
    });
  });

  it("consumes a single-use credential by its first resolution: of 20 concurrent callers exactly one wins", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(
      admin,
      clientId,
      target("bearer", { token: "once" }, { singleUse: true }),
    );
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => service.resolveTargetAuth(admin, clientId, created.credentialId)),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ value: { headers: { Authorization: "Bearer once" } } });
    for (const lost of results.filter((r) => r.status === "rejected"))
      expect(lost.reason).toMatchObject({ code: "NOT_FOUND" });
    await expect(service.get(admin, clientId, created.credentialId)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("never serves a decrypted secret to another record its envelope was copied into", async () => {
    const { service, store, clientId } = targetService();
    const a = await service.create(admin, clientId, target("bearer", { token: "token-of-a" }));
    const b = await service.create(admin, clientId, target("bearer", { token: "token-of-b" }));
    await service.resolveTargetAuth(admin, clientId, a.credentialId); // A's secret is now decrypted and cached
    const recordA = await store.get(clientId, a.credentialId);
    const recordB = await store.get(clientId, b.credentialId);
    if (!recordA || !recordB) throw new Error("missing record");
    await store.update({ ...recordB, secret: recordA.secret, version: 2 }, 1);
    await expect(service.resolveTargetAuth(admin, clientId, b.credentialId)).rejects.toMatchObject({
      code: "DECRYPTION_FAILED",
    });
  });

  it("does nothing on invalidateTargetToken for a static credential", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(admin, clientId, target("bearer", { token: "t" }));
    await service.invalidateTargetToken(admin, clientId, created.credentialId);
    expect((await service.get(admin, clientId, created.credentialId)).credentialVersion).toBe(1);
  });
});

describe("resolveTargetAuth and invalidateTargetToken: the caller", () => {
  it("needs access to the client and the resolve scope; a system actor has both", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(admin, clientId, target("bearer", { token: "t" }));
    const id = created.credentialId;
    const noScope = { userId: "u", clientIds: "*" as const, scopes: [] };
    const otherClient = { userId: "u", clientIds: ["other"], scopes: ["resolve" as const] };
    for (const actor of [noScope, otherClient]) {
      await expect(service.resolveTargetAuth(actor, clientId, id)).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      await expect(service.invalidateTargetToken(actor, clientId, id)).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
    }
    await expect(service.verifyProxyRequest(otherClient, clientId, { headers: {} })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await service.resolveTargetAuth(systemActor(), clientId, id)).toMatchObject({
      headers: { Authorization: "Bearer t" },
    });
    await expect(
      service.resolveTargetAuth(systemActor({ clientIds: ["other"] }), clientId, id),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    // Verification needs no scope: a proxy checking incoming requests does not read secrets.
    expect(await service.verifyProxyRequest(noScope, clientId, { headers: {} })).toEqual({
      ok: false,
      reason: "NO_CREDENTIAL",
    });
  });
});

describe("a stored secret that opens but is not JSON", () => {
  it("is DECRYPTION_FAILED, not the parser's error, and never quotes the plaintext", async () => {
    const { service, store, keyring, clientId } = targetService();
    const created = await service.create(admin, clientId, target("bearer", { token: "b-123" }));
    const record = (await store.get(clientId, created.credentialId)) as StoredCredential;
    await store.update(
      {
        ...record,
        secret: keyring.encrypt("SECRET-PLAINTEXT, not JSON", recordIdentity(record)),
        version: record.version + 1,
      },
      record.version,
      record.lookupHash,
    );
    const failure = await service.resolveTargetAuth(admin, clientId, created.credentialId).catch((e) => e);
    expect(failure).toMatchObject({ name: "CredkitError", code: "DECRYPTION_FAILED" });
    expect(failure.cause).toBeUndefined();
    expect(failure.message).not.toContain("SECRET-PLAINTEXT");
  });
});
