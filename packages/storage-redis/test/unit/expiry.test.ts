import { makeRecord } from "@credkit/storage-test-suite";
import { describe, expect, it } from "vitest";
import { redisKeys, redisStore } from "../../src/index.js";
import { mockStore } from "./mock-client.js";

// A record Redis has not evicted yet but whose expiresAt has passed by the store's clock: the
// read-side checks must hide it. The clock is moved instead of waiting.
describe("redis store expiry edge cases (ioredis-mock)", () => {
  const hour = 3_600_000;

  function withLaterClock() {
    const base = mockStore();
    const later = redisStore({
      client: base.client,
      keyPrefix: base.keyPrefix,
      now: () => Date.now() + 2 * hour,
    });
    return { ...base, later };
  }

  it("hides a record expired by the clock before Redis evicts it, from every read", async () => {
    const { store, later } = withLaterClock();
    const record = makeRecord({ temporary: true, expiresAt: Date.now() + hour });
    await store.create(record);
    expect(await later.get(record.clientId, record.credentialId)).toBeNull();
    expect(await later.findByLookup(record.clientId, record.lookupHash ?? "")).toBeNull();
    expect((await later.list(record.clientId, { limit: 10, includeTemporary: true })).items).toStrictEqual(
      [],
    );
    expect((await later.scan({ limit: 1000 })).items.map((r) => r.credentialId)).not.toContain(
      record.credentialId,
    );
    expect(await later.update({ ...record, version: 2 }, 1)).toBeNull();
    expect(await later.consume(record.clientId, record.credentialId)).toBeNull();
  });

  it("lets a new record take the id and the lookup hash of an expired, unevicted one", async () => {
    const { store, later } = withLaterClock();
    const old = makeRecord({ temporary: true, expiresAt: Date.now() + hour });
    await store.create(old);
    const sameId = makeRecord({ clientId: old.clientId, credentialId: old.credentialId, lookupHash: null });
    await later.create(sameId);
    expect(await later.get(old.clientId, old.credentialId)).toStrictEqual(sameId);
    // The expired record's lookup entry went with it.
    expect(await store.findByLookup(old.clientId, old.lookupHash ?? "")).toBeNull();

    const holder = makeRecord({ temporary: true, expiresAt: Date.now() + hour });
    await store.create(holder);
    const reuser = makeRecord({ clientId: holder.clientId, lookupHash: holder.lookupHash });
    await later.create(reuser);
    expect(await later.findByLookup(holder.clientId, holder.lookupHash ?? "")).toStrictEqual(reuser);
  });

  it("drops index entries whose record Redis already removed, while listing", async () => {
    const { client, keyPrefix, store } = mockStore();
    const keys = redisKeys(keyPrefix);
    const clientId = "lazy-cleanup";
    const [gone, kept] = [makeRecord({ clientId }), makeRecord({ clientId })];
    await store.create(gone);
    await store.create(kept);
    // What PEXPIREAT does to a temporary record: the hash vanishes, the index entry stays.
    await client.del(keys.record(clientId, gone.credentialId));
    expect((await store.list(clientId, { limit: 10 })).items).toStrictEqual([kept]);
    expect(await client.zrangebylex(keys.ids(clientId), "-", "+")).toStrictEqual([kept.credentialId]);
  });

  it("writes a temporary record with PEXPIREAT on the record and its lookup entry", async () => {
    const { client, keyPrefix, store } = mockStore();
    const keys = redisKeys(keyPrefix);
    const record = makeRecord({ temporary: true, expiresAt: Date.now() + hour });
    await store.create(record);
    expect(await client.pttl(keys.record(record.clientId, record.credentialId))).toBeGreaterThan(0);
    expect(await client.pttl(keys.lookup(record.clientId, record.lookupHash ?? ""))).toBeGreaterThan(0);
    expect(await client.hget(keys.record(record.clientId, record.credentialId), "x")).toBe(
      String(record.expiresAt),
    );
  });
});
