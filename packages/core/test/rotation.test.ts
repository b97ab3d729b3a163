import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type CredentialStore,
  CredkitError,
  needsReencryption,
  type ReencryptionFailure,
  reencryptStore,
  type StoredCredential,
} from "../src/index.js";
import {
  admin,
  allRecords,
  freshKeys,
  keyIdsIn,
  newClientId,
  proxyFixtures,
  ring,
  serviceOver,
  targetBodies,
} from "./rotation-fixtures.js";

/** A store with proxy and target credentials of several clients, all sealed under k1. */
async function seeded(clients = 3) {
  const keys = freshKeys();
  const store = memoryStore();
  const before = serviceOver(ring(keys.k1), { "eu-west-1": store });
  const proxies: { clientId: string; headers: () => Promise<Record<string, string>> }[] = [];
  for (let i = 0; i < clients; i++) {
    const clientId = newClientId();
    for (const fixture of proxyFixtures(`${i}`)) {
      await before.create(admin, clientId, fixture.body);
      proxies.push({ clientId, headers: fixture.headers });
    }
    for (const body of targetBodies(`${i}`)) await before.create(admin, clientId, body);
  }
  return { keys, store, before, proxies, count: clients * 6 };
}

async function expectAllVerify(
  service: ReturnType<typeof serviceOver>,
  proxies: Awaited<ReturnType<typeof seeded>>["proxies"],
) {
  for (const { clientId, headers } of proxies) {
    expect(await service.verifyProxyRequest(admin, clientId, { headers: await headers() })).toMatchObject({
      ok: true,
    });
  }
}

describe("reencryptStore", () => {
  it("re-seals every record under the active key and recomputes lookup hashes, keeping updatedAt", async () => {
    const { keys, store, proxies, count } = await seeded();
    const old = await allRecords(store);
    expect(old.every((r) => keyIdsIn(r).join() === "k1")).toBe(true);

    const result = await reencryptStore({ store, keyring: ring(keys.k2, keys.k1), batchSize: 4 });
    expect(result).toMatchObject({ scanned: count, reencrypted: count, skipped: 0, failed: 0, done: true });

    const rotated = await allRecords(store);
    expect(rotated).toHaveLength(count);
    for (const record of rotated) {
      const was = old.find((r) => r.credentialId === record.credentialId) as StoredCredential;
      expect(keyIdsIn(record)).toEqual(["k2"]);
      expect(record.version).toBe(was.version + 1);
      expect(record.updatedAt).toBe(was.updatedAt);
      expect(record.name).toBe(was.name);
      expect(record.lookupHash === null).toBe(was.lookupHash === null);
    }
    // The old key can go: a keyring holding only k2 reads and verifies everything.
    const after = serviceOver(ring(keys.k2), { "eu-west-1": store });
    await expectAllVerify(after, proxies);
    const k2Only = ring(keys.k2);
    for (const record of rotated) {
      expect(() =>
        k2Only.decrypt(record.secret, {
          clientId: record.clientId,
          credentialId: record.credentialId,
          credentialType: record.credentialType,
          authType: record.authType,
          region: record.region,
        }),
      ).not.toThrow();
    }
  });

  it("verification works before, during (between pages) and after the run", async () => {
    const { keys, store, before, proxies } = await seeded(4);
    await expectAllVerify(before, proxies);
    // Servers are deployed with k2 active and k1 still present before the job starts (the runbook).
    const during = serviceOver(ring(keys.k2, keys.k1), { "eu-west-1": store });
    let pages = 0;
    const result = await reencryptStore({
      store,
      keyring: ring(keys.k2, keys.k1),
      batchSize: 5,
      onProgress: async () => {
        pages++;
        await expectAllVerify(during, proxies);
      },
    });
    expect(result.done).toBe(true);
    expect(pages).toBeGreaterThan(3);
    await expectAllVerify(during, proxies);
    await expectAllVerify(serviceOver(ring(keys.k2), { "eu-west-1": store }), proxies);
  });

  it("verification finds a record whose lookup entry moves between its two lookups", async () => {
    const { keys, store, proxies } = await seeded(1);
    const keyring = ring(keys.k2, keys.k1);
    // The worst interleaving on a networked store whose batch read is not atomic (DynamoDB's
    // BatchGetItem reads each key on its own): the active-key hash is read before the record is
    // rotated, the old-key hash after it, so both reads miss.
    let lookups = 0;
    let batches = 0;
    const racing: CredentialStore = {
      ...store,
      findByLookups: async (clientId, hashes) => {
        batches++;
        const found = [];
        for (const hash of hashes) {
          if (++lookups === 2) await reencryptStore({ store, keyring });
          found.push(await store.findByLookup(clientId, hash));
        }
        return found;
      },
    };
    const during = serviceOver(keyring, { "eu-west-1": racing });
    const bearer = proxies[1] as (typeof proxies)[number];
    expect(
      await during.verifyProxyRequest(admin, bearer.clientId, { headers: await bearer.headers() }),
    ).toMatchObject({
      ok: true,
      credential: { credentialAuthType: "bearer" },
    });
    expect(lookups).toBe(4);
    expect(batches).toBe(2);
  });

  it("skips records already under the active key, and a second run writes nothing", async () => {
    const { keys, store, count } = await seeded(2);
    const keyring = ring(keys.k2, keys.k1);
    const fresh = serviceOver(keyring, { "eu-west-1": store });
    const clientId = newClientId();
    for (const fixture of proxyFixtures("new")) await fresh.create(admin, clientId, fixture.body);

    const first = await reencryptStore({ store, keyring });
    expect(first).toMatchObject({ scanned: count + 4, reencrypted: count, skipped: 4, failed: 0 });
    const versions = (await allRecords(store)).map((r) => `${r.credentialId}@${r.version}`).sort();

    const second = await reencryptStore({ store, keyring });
    expect(second).toMatchObject({ scanned: count + 4, reencrypted: 0, skipped: count + 4, failed: 0 });
    expect((await allRecords(store)).map((r) => `${r.credentialId}@${r.version}`).sort()).toEqual(versions);
  });

  it("resumes from the cursor saved before an abort, without redoing or missing a record", async () => {
    const { keys, store, count } = await seeded(5);
    const keyring = ring(keys.k2, keys.k1);
    const abort = new AbortController();
    let saved: string | null = null;
    let pages = 0;
    const first = await reencryptStore({
      store,
      keyring,
      batchSize: 4,
      signal: abort.signal,
      onProgress: ({ cursor }) => {
        saved = cursor;
        if (++pages === 3) abort.abort();
      },
    });
    expect(first).toMatchObject({ done: false, scanned: 12, reencrypted: 12 });
    expect(first.cursor).toBe(saved);
    const halfway = await allRecords(store);
    expect(halfway.filter((r) => needsReencryption(r, keyring))).toHaveLength(count - 12);

    const second = await reencryptStore({ store, keyring, batchSize: 4, cursor: saved });
    expect(second).toMatchObject({ done: true, reencrypted: count - 12, skipped: 0, failed: 0 });
    // Every record was written exactly once: version 1 → 2.
    expect((await allRecords(store)).map((r) => r.version)).toEqual(Array(count).fill(2));
  });

  it("resumes after a store outage mid-page; records written before it are skipped, not redone", async () => {
    const { keys, store, count } = await seeded(4);
    const keyring = ring(keys.k2, keys.k1);
    let updates = 0;
    const flaky: CredentialStore = {
      ...store,
      update: (next, expected) => {
        if (++updates === 7) return Promise.reject(new CredkitError("STORAGE_UNAVAILABLE", "down"));
        return store.update(next, expected);
      },
    };
    let saved: string | null = null;
    await expect(
      reencryptStore({
        store: flaky,
        keyring,
        batchSize: 5,
        concurrency: 1,
        onProgress: ({ cursor }) => {
          saved = cursor;
        },
      }),
    ).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    expect(saved).not.toBeNull();

    const resumed = await reencryptStore({ store, keyring, batchSize: 5, cursor: saved });
    // The first page (5) was saved; of the second page, 1 record was written before the outage.
    expect(resumed).toMatchObject({ done: true, reencrypted: count - 6, skipped: 1, failed: 0 });
    expect((await allRecords(store)).map((r) => r.version)).toEqual(Array(count).fill(2));
  });

  it("never loses a user's update made while its record is being re-encrypted", async () => {
    const keys = freshKeys();
    const store = memoryStore();
    const old = serviceOver(ring(keys.k1), { "eu-west-1": store });
    const clientId = newClientId();
    const [apiKey, bearer] = proxyFixtures("u");
    const renamed = await old.create(admin, clientId, apiKey?.body);
    const resecreted = await old.create(admin, clientId, bearer?.body);

    const keyring = ring(keys.k2, keys.k1);
    const live = serviceOver(keyring, { "eu-west-1": store });
    const raced = new Set<string>();
    // Right before the job's write lands, a user writes the same record: the job's CAS must fail.
    const racing: CredentialStore = {
      ...store,
      update: async (next, expected) => {
        if (!raced.has(next.credentialId)) {
          raced.add(next.credentialId);
          if (next.credentialId === renamed.credentialId) {
            await live.update(admin, clientId, renamed.credentialId, { credentialName: "renamed" });
          } else {
            await live.update(admin, clientId, resecreted.credentialId, {
              secret: { token: "new-token-long-enough" },
            });
          }
        }
        return store.update(next, expected);
      },
    };
    const result = await reencryptStore({ store: racing, keyring });
    // The rename left the secret under k1, so it is re-sealed on the retry; the new secret is under k2.
    expect(result).toMatchObject({ scanned: 2, reencrypted: 1, skipped: 1, failed: 0 });

    const after = serviceOver(ring(keys.k2), { "eu-west-1": store });
    expect(await after.get(admin, clientId, renamed.credentialId)).toMatchObject({
      credentialName: "renamed",
      credentialVersion: 3,
    });
    expect(
      await after.verifyProxyRequest(admin, clientId, {
        headers: { authorization: "Bearer new-token-long-enough" },
      }),
    ).toMatchObject({ ok: true });
    expect(
      await after.verifyProxyRequest(admin, clientId, {
        headers: { authorization: "Bearer bearer-long-enough-u" },
      }),
    ).toMatchObject({ ok: false });
    expect(
      await after.verifyProxyRequest(admin, clientId, { headers: await (apiKey?.headers() ?? {}) }),
    ).toMatchObject({ ok: true });
    for (const record of await allRecords(store)) expect(keyIdsIn(record)).toEqual(["k2"]);
  });

  it("skips a record deleted between the scan and the write", async () => {
    const { keys, store, before, count } = await seeded(1);
    const [victim] = await allRecords(store);
    const deleting: CredentialStore = {
      ...store,
      update: async (next, expected) => {
        if (next.credentialId === victim?.credentialId) {
          await before.delete(admin, next.clientId, next.credentialId);
        }
        return store.update(next, expected);
      },
    };
    const result = await reencryptStore({ store: deleting, keyring: ring(keys.k2, keys.k1) });
    expect(result).toMatchObject({ reencrypted: count - 1, skipped: 1, failed: 0 });
  });

  it("reports records it cannot open or whose new lookup hash collides, and goes on", async () => {
    const keys = freshKeys();
    const k0 = { id: "k0", key: freshKeys().k1.key };
    const store = memoryStore();
    const clientId = newClientId();
    // Sealed under a key the job's keyring lacks.
    const lost = await serviceOver(ring(k0), { "eu-west-1": store }).create(
      admin,
      clientId,
      targetBodies("lost")[0],
    );
    // The same bearer token under k1 and, by a process that only knew k2 (so could not see the first),
    // under k2: rotating the first collides.
    const dup = proxyFixtures("dup")[1]?.body;
    const first = await serviceOver(ring(keys.k1), { "eu-west-1": store }).create(admin, clientId, dup);
    await serviceOver(ring(keys.k2), { "eu-west-1": store }).create(admin, clientId, dup);
    const fine = await serviceOver(ring(keys.k1), { "eu-west-1": store }).create(
      admin,
      clientId,
      targetBodies("fine")[0],
    );

    const failures: ReencryptionFailure[] = [];
    const result = await reencryptStore({
      store,
      keyring: ring(keys.k2, keys.k1),
      onFailure: (f) => failures.push(f),
    });
    expect(result).toMatchObject({ scanned: 4, reencrypted: 1, skipped: 1, failed: 2, done: true });
    expect(failures.map((f) => [f.credentialId, f.code]).sort()).toEqual(
      [
        [lost.credentialId, "UNKNOWN_KEY"],
        [first.credentialId, "CONFLICT"],
      ].sort(),
    );
    expect(JSON.stringify(failures)).not.toContain("bearer-dup");
    expect(keyIdsIn((await store.get(clientId, fine.credentialId)) as StoredCredential)).toEqual(["k2"]);
  });

  it("refuses to leave an envelope field it does not know under the old key", async () => {
    const { keys, store } = await seeded(1);
    const [record] = await allRecords(store);
    const withExtra = { ...record, extraState: record?.secret } as StoredCredential;
    await store.update({ ...withExtra, version: (record?.version ?? 0) + 1 }, record?.version ?? 0);
    const failures: ReencryptionFailure[] = [];
    const result = await reencryptStore({
      store,
      keyring: ring(keys.k2, keys.k1),
      onFailure: (f) => failures.push(f),
    });
    expect(result.failed).toBe(1);
    expect(failures[0]?.message).toContain("extraState");
  });

  it("validates its options", async () => {
    const { keys, store } = await seeded(1);
    await expect(reencryptStore({ store, keyring: ring(keys.k2), batchSize: 0 })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
  });
});
