import type { CredentialStore, StoredCredential } from "@credkit/core";
import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { makeRecord, nextVersion } from "../fixtures.js";
import { beforeLapse, waitPast } from "../wait.js";
import { idsOf, walkList, walkScan } from "../walk.js";

/** The records of the expiry fixture, one per check so no test sees another's effects. */
interface ExpiryFixture {
  get: StoredCredential;
  list: StoredCredential;
  listSurvivor: StoredCredential;
  lookup: StoredCredential;
  consume: StoredCredential;
  update: StoredCredential;
  delete: StoredCredential;
  scan: StoredCredential;
  reuseHash: StoredCredential;
  reuseId: StoredCredential;
  promoted: StoredCredential;
}

/**
 * Creates every short-lived record at once, proves each is live, then waits once past the shared
 * deadline: one wait for the whole concern instead of one per test.
 */
async function expiryFixture(store: CredentialStore): Promise<ExpiryFixture> {
  const { value, deadline } = await beforeLapse("Setting up the expiry fixture", async (expiresAt) => {
    const expiring = () => makeRecord({ temporary: true, expiresAt });
    const list = expiring();
    const f: ExpiryFixture = {
      get: expiring(),
      list,
      listSurvivor: makeRecord({ clientId: list.clientId }),
      lookup: expiring(),
      consume: expiring(),
      update: expiring(),
      delete: expiring(),
      scan: expiring(),
      reuseHash: expiring(),
      reuseId: expiring(),
      promoted: expiring(),
    };
    const records = Object.values(f);
    await Promise.all(records.map((record) => store.create(record)));
    const [found, listed, looked] = await Promise.all([
      Promise.all(records.map((record) => store.get(record.clientId, record.credentialId))),
      walkList(store, list.clientId, { limit: 10, includeTemporary: true }),
      store.findByLookup(f.lookup.clientId, f.lookup.lookupHash ?? ""),
    ]);
    const promoted = nextVersion(f.promoted, { temporary: false, expiresAt: null });
    const updated = await store.update(promoted, 1);
    return { f: { ...f, promoted }, records, found, listed, looked, updated };
  });
  const { f, records, found, listed, looked, updated } = value;
  // Without proof that they were live, every "is gone" assertion below would pass vacuously.
  expect(found).toStrictEqual(records);
  expect(listed.items).toHaveLength(2);
  expect(looked).toStrictEqual(f.lookup);
  expect(updated).toStrictEqual(f.promoted);
  await waitPast(deadline);
  return f;
}

/** Expiry: a record past its `expiresAt` is absent for every method, even before the backend removes it. */
export function expiryTests(ctx: SuiteContext): void {
  describe("expiry", () => {
    let f: ExpiryFixture;
    const store = ctx.useStore(async (created) => {
      f = await expiryFixture(created);
    });

    it("get returns null", async () => {
      expect(await store().get(f.get.clientId, f.get.credentialId)).toBeNull();
    });

    it("list skips it, with or without includeTemporary", async () => {
      const survivor = [f.listSurvivor.credentialId];
      for (const includeTemporary of [true, false]) {
        const walk = await walkList(store(), f.list.clientId, { limit: 10, includeTemporary });
        expect(idsOf(walk.items)).toStrictEqual(survivor);
      }
    });

    it("findByLookup returns null", async () => {
      expect(await store().findByLookup(f.lookup.clientId, f.lookup.lookupHash ?? "")).toBeNull();
    });

    it("consume returns null", async () => {
      expect(await store().consume(f.consume.clientId, f.consume.credentialId)).toBeNull();
    });

    it("update returns null and does not bring it back", async () => {
      const next = nextVersion(f.update, { temporary: false, expiresAt: null });
      expect(await store().update(next, 1)).toBeNull();
      expect(await store().get(f.update.clientId, f.update.credentialId)).toBeNull();
      expect(await store().findByLookup(f.update.clientId, f.update.lookupHash ?? "")).toBeNull();
    });

    it("delete returns false", async () => {
      expect(await store().delete(f.delete.clientId, f.delete.credentialId)).toBe(false);
    });

    it("its lookup hash can be taken by a new record", async () => {
      const reuser = makeRecord({ clientId: f.reuseHash.clientId, lookupHash: f.reuseHash.lookupHash });
      await store().create(reuser);
      expect(await store().findByLookup(reuser.clientId, reuser.lookupHash ?? "")).toStrictEqual(reuser);
    });

    it("its id can be created again", async () => {
      const again = makeRecord({ clientId: f.reuseId.clientId, credentialId: f.reuseId.credentialId });
      await store().create(again);
      expect(await store().get(again.clientId, again.credentialId)).toStrictEqual(again);
    });

    it("a record made permanent before its deadline outlives it", async () => {
      expect(await store().get(f.promoted.clientId, f.promoted.credentialId)).toStrictEqual(f.promoted);
      const walk = await walkList(store(), f.promoted.clientId, { limit: 10 });
      expect(walk.items).toStrictEqual([f.promoted]);
    });

    // Last: a scan may purge expired records as it passes, which would hide bugs the tests above look for.
    it("scan skips it", async () => {
      const ids = idsOf((await walkScan(store(), 50)).items);
      expect(ids).not.toContain(f.scan.credentialId);
      expect(ids).toContain(f.listSurvivor.credentialId);
    });
  });
}
