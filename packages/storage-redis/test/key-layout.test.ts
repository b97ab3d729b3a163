import { makeRecord } from "@credkit/storage-test-suite";
import { type Cluster, Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { redisClientOptions, redisKeys, redisStore } from "../src/index.js";
import { clusterClient, randomKeyPrefix, standaloneClient } from "./clients.js";
import { deleteKeys, keysUnder } from "./raw-keys.js";

const targets: [string, () => Redis | Cluster][] = [
  ["standalone", standaloneClient],
  ["cluster", clusterClient],
];

describe.each(targets)("redis key layout at rest (%s)", (_kind, makeClient) => {
  const client = makeClient();
  const keyPrefix = randomKeyPrefix();
  const keys = redisKeys(keyPrefix);
  const store = redisStore({ client, keyPrefix });

  afterAll(async () => {
    await deleteKeys(client, keyPrefix);
    await client.quit();
  });

  it("lets Redis expire a temporary record and its lookup entry, and clears the expiry on promotion", async () => {
    const expiresAt = Date.now() + 3_600_000;
    const record = makeRecord({ temporary: true, expiresAt });
    await store.create(record);
    const recordKey = keys.record(record.clientId, record.credentialId);
    const lookupKey = keys.lookup(record.clientId, record.lookupHash ?? "");
    for (const key of [recordKey, lookupKey]) {
      const pttl = await client.pttl(key);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(expiresAt - Date.now() + 1000);
    }
    await store.update({ ...record, version: 2, temporary: false, expiresAt: null }, 1);
    expect(await client.pttl(recordKey)).toBe(-1);
    expect(await client.pttl(lookupKey)).toBe(-1);
  });

  it("lets Redis delete a credential past its lifetime at its expiresAt (lifetime end + grace)", async () => {
    const expiresAt = Date.now() + 3_600_000;
    const record = makeRecord({ lifetimeEndsAt: Date.now() - 1000, expiresAt });
    await store.create(record);
    for (const key of [
      keys.record(record.clientId, record.credentialId),
      keys.lookup(record.clientId, record.lookupHash ?? ""),
    ]) {
      const pttl = await client.pttl(key);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(expiresAt - Date.now() + 1000);
    }
  });

  it("sets no expiry on a permanent record", async () => {
    const record = makeRecord();
    await store.create(record);
    expect(await client.pttl(keys.record(record.clientId, record.credentialId))).toBe(-1);
  });

  it("trusts a lookup entry only while its record still holds that hash, in every script", async () => {
    // The scripts keep lookup entries exact, so a stale one (pointing at a record that holds another
    // hash) is planted here by hand: each script's check of the record's own hash must hold alone, not
    // only behind the cleanup that normally removes such an entry.
    const owner = makeRecord();
    const other = makeRecord({ clientId: owner.clientId });
    await Promise.all([store.create(owner), store.create(other)]);
    const plant = async () => {
      const hash = makeRecord().lookupHash ?? "";
      await client.set(keys.lookup(owner.clientId, hash), owner.credentialId);
      return hash;
    };
    const stale = await plant();
    expect(await store.findByLookup(owner.clientId, stale)).toBeNull();
    expect(await store.findByLookups(owner.clientId, [stale, owner.lookupHash ?? ""])).toStrictEqual([
      null,
      owner,
    ]);
    const taker = makeRecord({ clientId: owner.clientId, lookupHash: stale });
    await store.create(taker);
    expect(await store.findByLookup(owner.clientId, stale)).toStrictEqual(taker);
    const moved = { ...other, version: 2, lookupHash: await plant() };
    expect(await store.update(moved, 1)).toStrictEqual(moved);
    expect(await store.findByLookup(owner.clientId, moved.lookupHash)).toStrictEqual(moved);
    expect(await store.findByLookup(owner.clientId, owner.lookupHash ?? "")).toStrictEqual(owner);
  });

  it("keeps a client whose id holds braces on one hash tag and round trips it", async () => {
    const record = makeRecord({ clientId: "}{ client {with} braces ✓ }" });
    await store.create(record);
    expect(await store.get(record.clientId, record.credentialId)).toStrictEqual(record);
    expect((await store.list(record.clientId, { limit: 10 })).items).toStrictEqual([record]);
    expect(await store.findByLookup(record.clientId, record.lookupHash ?? "")).toStrictEqual(record);
    expect(await store.consume(record.clientId, record.credentialId)).toStrictEqual(record);
  });
});

describe("redis store on a client with its own ioredis keyPrefix", () => {
  const appPrefix = randomKeyPrefix();
  const client = new Redis(inject("redisUrl"), { ...redisClientOptions(), keyPrefix: appPrefix });
  const raw = standaloneClient();

  afterAll(async () => {
    await deleteKeys(raw, appPrefix);
    await Promise.all([client.quit(), raw.quit()]);
  });

  it("works, because scripts derive every key from the prefixed keys they are given", async () => {
    const store = redisStore({ client, keyPrefix: "inner:" });
    const record = makeRecord({ temporary: true, expiresAt: Date.now() + 60_000 });
    await store.create(record);
    expect((await store.list(record.clientId, { limit: 5, includeTemporary: true })).items).toStrictEqual([
      record,
    ]);
    expect(await store.findByLookup(record.clientId, record.lookupHash ?? "")).toStrictEqual(record);
    const stored = await keysUnder(raw, appPrefix);
    expect(stored.length).toBeGreaterThanOrEqual(3);
    for (const key of stored) expect(key.startsWith(`${appPrefix}inner:`)).toBe(true);
    expect(await store.consume(record.clientId, record.credentialId)).toStrictEqual(record);
    expect(await keysUnder(raw, `${appPrefix}inner:{`)).toStrictEqual([]);
  });
});

describe("redis key layout on a cluster", () => {
  const client = clusterClient();
  const keyPrefix = randomKeyPrefix();
  const keys = redisKeys(keyPrefix);
  const store = redisStore({ client, keyPrefix });

  afterAll(async () => {
    await deleteKeys(client, keyPrefix);
    await client.quit();
  });

  it("puts every key of one client on one cluster slot", async () => {
    const clientId = "slot-check {x} client";
    const records = [1, 2, 3].map(() => makeRecord({ clientId }));
    for (const record of records) await store.create(record);
    const clientKeys = (await keysUnder(client, keyPrefix)).filter((key) => key.includes(keys.tag(clientId)));
    // ids + 3 records + 3 lookups, all found by SCAN on whichever master holds them.
    expect(clientKeys).toHaveLength(7);
    const slots = await Promise.all(clientKeys.map((key) => client.cluster("KEYSLOT", key)));
    expect(new Set(slots).size).toBe(1);
  });
});
