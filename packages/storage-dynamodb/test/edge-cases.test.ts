import { DeleteTableCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { StoredCredential } from "@credkit/core";
import { makeRecord } from "@credkit/storage-test-suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { lookupKey } from "../src/keys.js";
import { localClient, randomTableName } from "./local-client.js";
import { logRequests } from "./request-log.js";

// Paths the conformance suite reaches only by chance: expired items DynamoDB has not swept yet, lookup
// copies, retried writes. A settable clock stands in for waiting.
describe("dynamodb store edge cases", () => {
  const client = localClient();
  const tableName = randomTableName();
  let clock = Date.now();
  const store = dynamoDbStore({ client, tableName, now: () => clock });
  const log = logRequests(client);
  const hour = 3_600_000;

  beforeAll(() => createCredkitTable(client, tableName));
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    client.destroy();
  });

  /** Runs `action` with the clock moved forward by `ms`, then moves it back. */
  async function later<T>(ms: number, action: () => Promise<T>): Promise<T> {
    clock += ms;
    try {
      return await action();
    } finally {
      clock -= ms;
    }
  }

  const expiring = (overrides: Partial<StoredCredential> = {}) =>
    makeRecord({ temporary: true, expiresAt: clock + hour, ...overrides });

  it("lets a create take the id and lookup hash of an expired record DynamoDB has not swept yet", async () => {
    const old = expiring();
    await store.create(old);
    const reborn = makeRecord({
      clientId: old.clientId,
      credentialId: old.credentialId,
      lookupHash: old.lookupHash,
    });
    await expect(store.create(reborn)).rejects.toMatchObject({ code: "CONFLICT" });
    await later(2 * hour, async () => {
      await store.create(reborn);
      expect(await store.get(old.clientId, old.credentialId)).toStrictEqual(reborn);
      expect(await store.findByLookup(old.clientId, old.lookupHash ?? "")).toStrictEqual(reborn);
    });
  });

  it("treats an expired record as absent for update, delete and consume", async () => {
    const record = expiring();
    await store.create(record);
    await later(2 * hour, async () => {
      expect(await store.update({ ...record, version: 2 }, 1)).toBeNull();
      expect(await store.update({ ...record, version: 2, lookupHash: null }, 1)).toBeNull();
      expect(await store.delete(record.clientId, record.credentialId)).toBe(false);
      expect(await store.consume(record.clientId, record.credentialId)).toBeNull();
      expect(await store.findByLookup(record.clientId, record.lookupHash ?? "")).toBeNull();
    });
    expect(await store.get(record.clientId, record.credentialId)).toStrictEqual(record);
  });

  it("moves the lookup copy's expiry with the record when a pending record becomes permanent", async () => {
    const record = expiring();
    await store.create(record);
    const permanent = { ...record, version: 2, temporary: false, expiresAt: null };
    expect(await store.update(permanent, 1)).toStrictEqual(permanent);
    const raw = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: lookupKey(record.clientId, record.lookupHash ?? ""),
        ConsistentRead: true,
      }),
    );
    expect(raw.Item?.expiresAt).toBeUndefined();
    expect(raw.Item?.ttl).toBeUndefined();
    await later(2 * hour, async () => {
      expect(await store.findByLookup(record.clientId, record.lookupHash ?? "")).toStrictEqual(permanent);
      // Nobody can take the hash of a record that no longer expires.
      const thief = makeRecord({ clientId: record.clientId, lookupHash: record.lookupHash });
      await expect(store.create(thief)).rejects.toMatchObject({ code: "CONFLICT" });
    });
  });

  it("reports the failing part of an update precisely: null, VERSION_CONFLICT, CONFLICT", async () => {
    const holder = makeRecord();
    const record = makeRecord({ clientId: holder.clientId });
    await store.create(holder);
    await store.create(record);
    // The moved hash is taken AND the version is stale: the version is the answer.
    await expect(
      store.update({ ...record, version: 3, lookupHash: holder.lookupHash }, 2),
    ).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
    });
    await expect(
      store.update({ ...record, version: 2, lookupHash: holder.lookupHash }, 1),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const absent = makeRecord({ clientId: holder.clientId, lookupHash: holder.lookupHash });
    expect(await store.update({ ...absent, version: 2 }, 1)).toBeNull();
  });

  it("treats a PutItem the SDK retried after a lost response as the success it was", async () => {
    const plain = makeRecord({ credentialType: "target", authType: "custom", lookupHash: null });
    await store.create(plain);
    // The same write again is what a retry of a landed attempt looks like to DynamoDB.
    await expect(store.create(plain)).resolves.toBeUndefined();
    const next = { ...plain, version: 2, name: "renamed" };
    expect(await store.update(next, 1)).toStrictEqual(next);
    expect(await store.update(next, 1)).toStrictEqual(next);
    // A different record with the same id is still a conflict.
    await expect(store.create({ ...plain, name: "other" })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("refuses an update whose next version is not expected + 1 before any request", async () => {
    const record = makeRecord();
    log.length = 0;
    await expect(store.update({ ...record, version: 5 }, 1)).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    expect(log).toStrictEqual([]);
  });

  it("lets exactly one of concurrent consumers of a record with a lookup hash win", async () => {
    for (const lookupHash of [makeRecord().lookupHash, null]) {
      const record = makeRecord({ singleUse: true, lookupHash });
      await store.create(record);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.consume(record.clientId, record.credentialId)),
      );
      expect(results.filter((result) => result !== null)).toStrictEqual([record]);
      expect(await store.findByLookup(record.clientId, lookupHash ?? "")).toBeNull();
    }
  });

  it("lets the holder re-acquire its own lease, refreshing it", async () => {
    const name = `lease-${makeRecord().credentialId}`;
    expect(await store.acquireLease(name, "a", 1_000)).toBe(true);
    expect(await store.acquireLease(name, "a", hour)).toBe(true);
    await later(2_000, async () => {
      expect(await store.acquireLease(name, "b", hour)).toBe(false);
      expect(await store.acquireLease(name, "a", hour)).toBe(true);
    });
  });

  it("refuses a lease ttl that is not positive", async () => {
    await expect(store.acquireLease("lease-x", "a", 0)).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  });

  it("hides expired and pending records from list, and shows pending ones when asked", async () => {
    const clientId = makeRecord().clientId;
    const permanent = makeRecord({ clientId });
    const pending = expiring({ clientId, lookupHash: null });
    const soon = expiring({ clientId, expiresAt: clock + 1_000, lookupHash: null });
    for (const record of [permanent, pending, soon]) await store.create(record);
    const ids = async (includeTemporary: boolean) =>
      (await store.list(clientId, { limit: 10, includeTemporary })).items
        .map((item) => item.credentialId)
        .sort();
    expect(await ids(false)).toStrictEqual([permanent.credentialId]);
    expect(await ids(true)).toStrictEqual(
      [permanent.credentialId, pending.credentialId, soon.credentialId].sort(),
    );
    await later(2_000, async () => {
      expect(await ids(true)).toStrictEqual([permanent.credentialId, pending.credentialId].sort());
    });
  });
});
