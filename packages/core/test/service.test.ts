import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore, unchecked } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type Actor,
  type CreateCredentialInput,
  type CredentialStore,
  createCredentialService,
  createKeyring,
  type Keyring,
} from "../src/index.js";

const admin: Actor = { userId: "alice", clientIds: "*", scopes: ["resolve"] };
const k1 = randomBytes(32);
const keyring: Keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: k1 }] });

/** Wraps a store, counting calls per method. */
function counted(store: CredentialStore) {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

function setup() {
  const eu = counted(memoryStore());
  const us = counted(memoryStore());
  const service = createCredentialService({
    regions: { "eu-west-1": eu.store, "eu-central-1": eu.store, "us-east-1": us.store },
    keyring,
    defaultRegion: "us-east-1",
  });
  return { service, eu, us, clientId: `c-${randomUUID()}` };
}

const apiKeyBody = (keyValue = `secret-${randomUUID()}`): CreateCredentialInput => ({
  credentialName: "partner key",
  credentialType: "proxy",
  authType: "apiKey",
  region: "eu-west-1",
  secret: { keyName: "X-Api-Key", keyValue },
});

describe("credential service", () => {
  it("creates, reads, lists and deletes; the secret lies encrypted and never shows", async () => {
    const { service, eu, clientId } = setup();
    const created = await service.create(admin, clientId, apiKeyBody("s3cr3t-value-0123"));
    expect(created).toMatchObject({
      pKey: clientId,
      sKey: created.credentialId,
      clientId,
      parentId: clientId,
      userId: "alice",
      credentialType: "proxy",
      credentialAuthType: "apiKey",
      credentialRegion: "eu-west-1",
      credentialDefaultRuleEffect: "allow",
      credentialSingleUse: false,
      credentialVersion: 1,
    });
    expect(created.credentialId).toMatch(/^eu-west-1\./);
    expect(JSON.stringify(created)).not.toContain("s3cr3t-value-0123");

    const stored = await eu.store.get(clientId, created.credentialId);
    if (!stored) throw new Error("the record is not in the eu store");
    expect(stored.secret).toMatch(/^ck1\.k1\./);
    expect(JSON.stringify(stored)).not.toContain("s3cr3t-value-0123");
    expect(JSON.parse(keyring.decrypt(stored.secret, stored))).toEqual({
      keyName: "X-Api-Key",
      keyValue: "s3cr3t-value-0123",
    });

    expect(await service.get(admin, clientId, created.credentialId)).toEqual(created);
    expect((await service.list(admin, clientId)).credentials).toEqual([created]);
    await service.delete(admin, clientId, created.credentialId);
    await expect(service.get(admin, clientId, created.credentialId)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(service.delete(admin, clientId, created.credentialId)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("keeps a credential in its region's store and reaches it with one store call", async () => {
    const { service, eu, us, clientId } = setup();
    const created = await service.create(admin, clientId, { ...apiKeyBody(), region: "us-east-1" });
    expect(await eu.store.get(clientId, created.credentialId)).toBeNull();
    const before = { ...us.calls };
    const euBefore = { ...eu.calls };
    await service.get(admin, clientId, created.credentialId);
    expect((us.calls.get ?? 0) - (before.get ?? 0)).toBe(1);
    expect(eu.calls).toEqual(euBefore);
  });

  it("uses the default region and refuses unserved regions, naming the served ones", async () => {
    const { service, clientId } = setup();
    const { region: _, ...withoutRegion } = apiKeyBody();
    expect((await service.create(admin, clientId, withoutRegion)).credentialRegion).toBe("us-east-1");
    await expect(
      service.create(admin, clientId, { ...apiKeyBody(), region: "ap-south-1" }),
    ).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      message: expect.stringContaining("eu-central-1, eu-west-1, us-east-1"),
      errors: [expect.objectContaining({ path: "region" })],
    });
  });

  it("enforces tenancy and validates client ids", async () => {
    const { service, clientId } = setup();
    const created = await service.create(admin, clientId, apiKeyBody());
    const other: Actor = { userId: "bob", clientIds: ["someone-else"], scopes: ["resolve"] };
    await expect(service.get(other, clientId, created.credentialId)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(service.list(other, clientId)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(service.list(admin, "bad/id")).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    // Another client never sees it, even with the id.
    await expect(service.get(admin, `${clientId}-x`, created.credentialId)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("refuses a second proxy credential with the same secret for one client", async () => {
    const { service, clientId } = setup();
    await service.create(admin, clientId, apiKeyBody("same-secret-value-1"));
    await expect(service.create(admin, clientId, apiKeyBody("same-secret-value-1"))).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(
      service.create(admin, `${clientId}-2`, apiKeyBody("same-secret-value-1")),
    ).resolves.toBeDefined();
  });

  it("updates partially, bumps the version, and re-seals a new secret", async () => {
    const { service, eu, clientId } = setup();
    const created = await service.create(admin, clientId, apiKeyBody("old-secret-value-1"));
    const before = await eu.store.get(clientId, created.credentialId);
    const renamed = await service.update(admin, clientId, created.credentialId, {
      credentialName: "renamed",
    });
    expect(renamed).toMatchObject({
      credentialName: "renamed",
      credentialVersion: 2,
      credentialDefaultRuleEffect: "allow",
    });
    expect((await eu.store.get(clientId, created.credentialId))?.secret).toBe(before?.secret);

    await service.update(admin, clientId, created.credentialId, {
      secret: { keyName: "X-Api-Key", keyValue: "new-0123456789abc" },
    });
    const after = await eu.store.get(clientId, created.credentialId);
    expect(after?.secret).not.toBe(before?.secret);
    expect(after?.lookupHash).not.toBe(before?.lookupHash);
    expect(after?.name).toBe("renamed");
  });

  it("makes If-Match a compare-and-set and refuses changes to immutable fields", async () => {
    const { service, clientId } = setup();
    const { credentialId } = await service.create(admin, clientId, apiKeyBody());
    await expect(
      service.update(admin, clientId, credentialId, { credentialName: "x" }, { ifMatch: 7 }),
    ).rejects.toMatchObject({ code: "VERSION_CONFLICT" });
    await expect(
      service.update(admin, clientId, credentialId, { credentialName: "x" }, { ifMatch: 1 }),
    ).resolves.toMatchObject({
      credentialVersion: 2,
    });
    await expect(service.update(admin, clientId, credentialId, { authType: "bearer" })).rejects.toMatchObject(
      {
        code: "VALIDATION_ERROR",
        errors: [{ path: "authType", message: expect.stringContaining("cannot be changed") }],
      },
    );
    // The current value is accepted (a client may send back what it read).
    await expect(
      service.update(admin, clientId, credentialId, { region: "eu-west-1", credentialName: "y" }),
    ).resolves.toMatchObject({ credentialName: "y" });
    await expect(service.update(admin, clientId, credentialId, {})).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    await expect(
      service.update(admin, clientId, credentialId, { secret: { token: "wrong shape" } }),
    ).rejects.toMatchObject({
      errors: expect.arrayContaining([expect.objectContaining({ path: "secret.keyName" })]),
    });
  });

  it("loses no field under concurrent updates without If-Match", async () => {
    const { service, clientId } = setup();
    const { credentialId } = await service.create(admin, clientId, apiKeyBody());
    await Promise.all([
      service.update(admin, clientId, credentialId, { credentialName: "n2" }),
      service.update(admin, clientId, credentialId, { credentialDefaultRuleEffect: "deny" }),
      service.update(admin, clientId, credentialId, { singleUse: true }),
    ]);
    expect(await service.get(admin, clientId, credentialId)).toMatchObject({
      credentialName: "n2",
      credentialDefaultRuleEffect: "deny",
      credentialSingleUse: true,
      credentialVersion: 4,
    });
  });

  it("pages a list across stores, asking each store at most once per page", async () => {
    const { service, eu, us, clientId } = setup();
    const ids: string[] = [];
    for (const region of ["eu-west-1", "us-east-1", "eu-central-1", "us-east-1", "eu-west-1"]) {
      ids.push((await service.create(admin, clientId, { ...apiKeyBody(), region })).credentialId);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const euBefore = eu.calls.list ?? 0;
      const usBefore = us.calls.list ?? 0;
      const page = await service.list(admin, clientId, { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.credentials.length).toBeLessThanOrEqual(2);
      expect((eu.calls.list ?? 0) - euBefore).toBeLessThanOrEqual(1);
      expect((us.calls.list ?? 0) - usBefore).toBeLessThanOrEqual(1);
      seen.push(...page.credentials.map((c) => c.credentialId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual(ids.sort());
    await expect(service.list(admin, clientId, { cursor: "garbage" })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      errors: [expect.objectContaining({ path: "cursor" })],
    });
  });

  it("answers NOT_FOUND for malformed or unserved credential ids without touching a store", async () => {
    const { service, eu, us, clientId } = setup();
    await expect(service.get(admin, clientId, "nonsense")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(service.get(admin, clientId, "ap-south-1.AAAAAAAAAAAAAAAAAAAAAA")).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(eu.calls.get ?? 0).toBe(0);
    expect(us.calls.get ?? 0).toBe(0);
  });

  it("checks the create body against the proxy/target matrix", async () => {
    const { service, clientId } = setup();
    await expect(
      // What the types refuse (custom is a target type), sent as unchecked JSON: refused at run time too.
      service.create(
        admin,
        clientId,
        unchecked({ ...apiKeyBody(), authType: "custom", secret: { headers: { a: "b" } } }),
      ),
    ).rejects.toMatchObject({
      errors: [{ path: "authType", message: expect.stringContaining("not allowed for proxy") }],
    });
    await expect(
      service.create(admin, clientId, {
        credentialName: "n",
        credentialType: "target",
        authType: "none",
        region: "eu-west-1",
      }),
    ).resolves.toMatchObject({ credentialAuthType: "none" });
    await expect(
      service.create(
        admin,
        clientId,
        unchecked({
          credentialName: "n",
          credentialType: "target",
          authType: "bearer",
          region: "eu-west-1",
        }),
      ),
    ).rejects.toMatchObject({ errors: [{ path: "secret", message: "is required" }] });
  });

  it("reports each store's health", async () => {
    const { service } = setup();
    const health = await service.health();
    expect(health).toHaveLength(2);
    expect(health.every((h) => h.ok)).toBe(true);
  });
});

describe("proxy secret uniqueness beyond one store and one key", () => {
  it("refuses the same proxy secret in another region's store and under an older key", async () => {
    const { service, clientId } = setup();
    await service.create(admin, clientId, apiKeyBody("dup-across-value-1"));
    await expect(
      service.create(admin, clientId, { ...apiKeyBody("dup-across-value-1"), region: "us-east-1" }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const store = memoryStore();
    const before = createCredentialService({ regions: { "eu-west-1": store }, keyring });
    await before.create(admin, clientId, apiKeyBody("dup-rotated-01234"));
    const rotating = createCredentialService({
      regions: { "eu-west-1": store },
      keyring: createKeyring({
        activeKeyId: "k2",
        keys: [
          { id: "k2", key: randomBytes(32) },
          { id: "k1", key: k1 },
        ],
      }),
    });
    await expect(rotating.create(admin, clientId, apiKeyBody("dup-rotated-01234"))).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const other = await rotating.create(admin, clientId, apiKeyBody("fresh-secret-value"));
    // An update to a secret another credential holds under the older key is refused too.
    await expect(
      rotating.update(admin, clientId, other.credentialId, {
        secret: { keyName: "X-Api-Key", keyValue: "dup-rotated-01234" },
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("refuses it when one of several places holds it, and takes it when none does", async () => {
    // Two regions while a rotation runs: the secret is looked for under both keys in the other store
    // and under the older key in the destination; one holder among those places is a conflict.
    const eu = memoryStore();
    const us = memoryStore();
    const regions = { "eu-west-1": eu, "us-east-1": us };
    const { clientId } = setup();
    await createCredentialService({ regions, keyring }).create(
      admin,
      clientId,
      apiKeyBody("held-in-one-place"),
    );
    const rotating = createCredentialService({
      regions,
      keyring: createKeyring({
        activeKeyId: "k2",
        keys: [
          { id: "k2", key: randomBytes(32) },
          { id: "k1", key: k1 },
        ],
      }),
    });
    const elsewhere = { ...apiKeyBody("held-in-one-place"), region: "us-east-1" };
    await expect(rotating.create(admin, clientId, elsewhere)).rejects.toMatchObject({ code: "CONFLICT" });
    const free = await rotating.create(admin, clientId, {
      ...apiKeyBody("free-everywhere-0"),
      region: "us-east-1",
    });
    // The record's own hash is no conflict: an update that keeps its secret goes through.
    await expect(
      rotating.update(admin, clientId, free.credentialId, {
        secret: { keyName: "X-Api-Key", keyValue: "free-everywhere-0" },
      }),
    ).resolves.toMatchObject({ credentialId: free.credentialId });
  });
});
