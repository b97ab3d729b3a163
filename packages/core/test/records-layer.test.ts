import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { recordIdentity } from "../src/crypto/envelope.js";
import {
  addStoreHooks,
  type CredentialStore,
  CredkitError,
  createKeyring,
  type StoredCredential,
} from "../src/index.js";
import { createRecords } from "../src/records/records.js";
import { createRegionRouter } from "../src/regions.js";
import { sealTokenState } from "../src/target/token-state.js";
import { storedRecord } from "./stored-record.js";

// The record layer alone, over real memory stores: load, open, seal, insert and the proxy-secret
// uniqueness check across stores and keys (the service's use of it is in service and rotation tests).
const k1 = { id: "k1", key: randomBytes(32) };
const k2 = { id: "k2", key: randomBytes(32) };
const oneKey = createKeyring({ activeKeyId: "k1", keys: [k1] });
const SECRET = { keyName: "X-Api-Key", keyValue: "records-layer-secret-0123456789" };

/** The record layer over `regions` (a retention of one second). */
const layer = (regions: Record<string, CredentialStore>, keyring = oneKey) =>
  createRecords({ router: createRegionRouter(regions), keyring, expiredRetentionMs: 1000 });

/** A store whose findByLookup calls are counted. */
function counted(store: CredentialStore = memoryStore()) {
  let lookups = 0;
  addStoreHooks(store, {
    operation: ({ operation }) => {
      if (operation === "findByLookup") lookups++;
    },
  });
  return { store, lookups: () => lookups };
}

/** A proxy apiKey record of `clientId` in `region`, sealed with `secret` under `keyring`. */
function sealed(
  records: ReturnType<typeof layer>,
  overrides: Partial<StoredCredential> = {},
  secret: object = SECRET,
): StoredCredential {
  const record = storedRecord(overrides);
  return { ...record, ...records.seal(record, secret as typeof SECRET) };
}

describe("the record layer", () => {
  it("loads a record from the store its id names, NOT_FOUND for an unserved region or an absent id", async () => {
    const eu = memoryStore();
    const records = layer({ "eu-west-1": eu });
    const record = storedRecord();
    await eu.create(record);
    expect(await records.load(record.clientId, record.credentialId)).toStrictEqual({ store: eu, record });
    const elsewhere = record.credentialId.replace("eu-west-1", "us-east-1");
    for (const id of [elsewhere, "eu-west-1.absentabsentabsentabsen"])
      await expect(records.load(record.clientId, id), id).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("seals a proxy secret with its lookup hash, a target's without one, and opens what it sealed", () => {
    const records = layer({ "eu-west-1": memoryStore() });
    const proxy = sealed(records);
    expect(proxy.lookupHash).toMatch(/^k1\./);
    expect(proxy.secret).toMatch(/^ck1\.k1\./);
    expect(oneKey.decrypt(proxy.secret, recordIdentity(proxy))).toBe(JSON.stringify(SECRET));
    expect(records.open(proxy)).toStrictEqual({ authType: "apiKey", secret: SECRET });
    const target = sealed(records, { credentialType: "target", authType: "custom" }, { headers: { a: "b" } });
    expect(target.lookupHash).toBeNull();
    expect(records.open(target)).toStrictEqual({ authType: "custom", secret: { headers: { a: "b" } } });
    expect(records.openState(target)).toStrictEqual({});
    // A token state is opened once per envelope, as the secret is, and apart from it.
    const state = { refreshToken: "rt-records-layer" };
    const withState = { ...target, tokenState: sealTokenState(oneKey, target, state) };
    expect(records.openState(withState)).toStrictEqual(state);
    expect(records.openState(withState)).toBe(records.openState(withState));
    expect(records.retainedUntil({ lifetimeEndsAt: 5 })).toBe(1005);
    expect(records.retainedUntil({ lifetimeEndsAt: null })).toBeNull();
  });

  it("asks no store about uniqueness with one store and one key (the store enforces it itself)", async () => {
    const { store, lookups } = counted();
    const records = layer({ "eu-west-1": store, "us-east-1": store });
    const record = sealed(records);
    await store.create(record);
    const twin = sealed(records, { clientId: record.clientId });
    await records.assertLookupFree(twin, SECRET, store);
    expect(lookups()).toBe(0);
  });

  it("looks in every other store under every key, and in the destination under the older keys only", async () => {
    const eu = counted();
    const us = counted();
    const rotated = createKeyring({ activeKeyId: "k2", keys: [k2, k1] });
    const records = layer({ "eu-west-1": eu.store, "us-east-1": us.store }, rotated);
    const record = sealed(records);
    await records.assertLookupFree(record, SECRET, eu.store);
    expect([eu.lookups(), us.lookups()]).toStrictEqual([1, 2]);
    // A target credential has no lookup value: nothing is asked.
    const target = storedRecord({ credentialType: "target", authType: "none", lookupHash: null });
    await records.assertLookupFree(target, {}, eu.store);
    expect([eu.lookups(), us.lookups()]).toStrictEqual([1, 2]);
  });

  it("refuses a secret another record holds in another store, or under an older key in the same one", async () => {
    const eu = memoryStore();
    const us = memoryStore();
    const old = layer({ "eu-west-1": eu, "us-east-1": us });
    const holder = sealed(old);
    await eu.create(holder);
    const rotated = layer(
      { "eu-west-1": eu, "us-east-1": us },
      createKeyring({ activeKeyId: "k2", keys: [k2, k1] }),
    );
    const twin = storedRecord({ clientId: holder.clientId });
    // Under k1 in eu (an older key in the destination), and seen from us (another store).
    for (const destination of [eu, us])
      await expect(rotated.assertLookupFree(twin, SECRET, destination)).rejects.toMatchObject({
        code: "CONFLICT",
      });
    // The holder itself may keep it; another client may use it.
    await expect(rotated.assertLookupFree(holder, SECRET, eu)).resolves.toBeUndefined();
    const stranger = storedRecord({ clientId: `c-${randomUUID()}` });
    await expect(rotated.assertLookupFree(stranger, SECRET, us)).resolves.toBeUndefined();
  });

  it("refuses a secret one store holds under an older key, with that store alone", async () => {
    const store = memoryStore();
    const holder = sealed(layer({ "eu-west-1": store }));
    await store.create(holder);
    const rotated = layer({ "eu-west-1": store }, createKeyring({ activeKeyId: "k2", keys: [k2, k1] }));
    const twin = storedRecord({ clientId: holder.clientId });
    await expect(rotated.assertLookupFree(twin, SECRET, store)).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("inserts a record, turning a store's CONFLICT into the duplicate-secret one only for a proxy secret", async () => {
    const store = memoryStore();
    const records = layer({ "eu-west-1": store });
    const record = sealed(records);
    await records.insert(store, record);
    expect(await store.get(record.clientId, record.credentialId)).toStrictEqual(record);
    const conflict = new CredkitError("CONFLICT", "taken");
    const refusing: CredentialStore = { ...store, create: () => Promise.reject(conflict) };
    await expect(records.insert(refusing, record)).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("same secret"),
      cause: conflict,
    });
    await expect(records.insert(refusing, { ...record, lookupHash: null })).rejects.toBe(conflict);
    const down = new CredkitError("STORAGE_UNAVAILABLE", "down");
    const failing: CredentialStore = { ...store, create: () => Promise.reject(down) };
    await expect(records.insert(failing, record)).rejects.toBe(down);
  });
});
