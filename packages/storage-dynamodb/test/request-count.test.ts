import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { makeEvent, makeRecord } from "@credkit/storage-test-suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { localClient, randomTableName } from "./local-client.js";
import { logRequests } from "./request-log.js";

// What each operation costs in requests (each HTTP request is a billed DynamoDB call), pinned exactly.
describe("request count per operation", () => {
  const client = localClient();
  const tableName = randomTableName();
  const store = dynamoDbStore({ client, tableName });
  const log = logRequests(client);
  const target = () => makeRecord({ credentialType: "target", authType: "custom", lookupHash: null });

  beforeAll(() => createCredkitTable(client, tableName));
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    client.destroy();
  });
  /** The requests `action` made. */
  async function requestsOf(action: () => Promise<unknown>): Promise<string[]> {
    log.length = 0;
    await action();
    return [...log];
  }

  it("get = 1 GetItem, found or not", async () => {
    const record = makeRecord();
    await store.create(record);
    expect(await requestsOf(() => store.get(record.clientId, record.credentialId))).toStrictEqual([
      "GetItem",
    ]);
    expect(await requestsOf(() => store.get(record.clientId, "missing"))).toStrictEqual(["GetItem"]);
  });

  it("create = 1 request: PutItem, or TransactWriteItems with a lookup item", async () => {
    expect(await requestsOf(() => store.create(target()))).toStrictEqual(["PutItem"]);
    expect(await requestsOf(() => store.create(makeRecord()))).toStrictEqual(["TransactWriteItems"]);
    const taken = makeRecord();
    await store.create(taken);
    const refused = requestsOf(() =>
      store.create(makeRecord({ ...taken, credentialId: `${taken.credentialId}x` })),
    );
    await expect(refused).rejects.toMatchObject({ code: "CONFLICT" });
    expect(log).toStrictEqual(["TransactWriteItems"]);
  });

  it("update = 1 request while the lookup hash stays, and when it moves with the previous hash given", async () => {
    const plain = target();
    await store.create(plain);
    expect(await requestsOf(() => store.update({ ...plain, version: 2, name: "renamed" }, 1))).toStrictEqual([
      "PutItem",
    ]);
    const proxy = makeRecord();
    await store.create(proxy);
    expect(await requestsOf(() => store.update({ ...proxy, version: 2, name: "renamed" }, 1))).toStrictEqual([
      "TransactWriteItems",
    ]);
    // What the service does: it read the record, so it passes the hash being replaced.
    const moved = { ...proxy, version: 3, lookupHash: makeRecord().lookupHash };
    expect(await requestsOf(() => store.update(moved, 2, proxy.lookupHash))).toStrictEqual([
      "TransactWriteItems",
    ]);
    expect(await store.findByLookup(proxy.clientId, proxy.lookupHash as string)).toBeNull();
    expect(await store.findByLookup(proxy.clientId, moved.lookupHash as string)).toMatchObject({
      version: 3,
    });
    // Without the hint the store finds the old entry itself: one more request.
    const again = { ...moved, version: 4, lookupHash: makeRecord().lookupHash };
    expect(await requestsOf(() => store.update(again, 3))).toStrictEqual([
      "TransactWriteItems",
      "TransactWriteItems",
    ]);
    expect(await store.findByLookup(proxy.clientId, moved.lookupHash as string)).toBeNull();
  });

  it("update answers null and VERSION_CONFLICT in 1 request", async () => {
    const record = makeRecord();
    expect(await requestsOf(() => store.update({ ...record, version: 2 }, 1))).toStrictEqual([
      "TransactWriteItems",
    ]);
    await store.create(record);
    log.length = 0;
    await expect(store.update({ ...record, version: 3 }, 2)).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
    });
    expect(log).toStrictEqual(["TransactWriteItems"]);
  });

  it("delete = 1 DeleteItem without a lookup hash; 2 requests with one", async () => {
    const plain = target();
    const proxy = makeRecord();
    await store.create(plain);
    await store.create(proxy);
    expect(await requestsOf(() => store.delete(plain.clientId, plain.credentialId))).toStrictEqual([
      "DeleteItem",
    ]);
    expect(await requestsOf(() => store.delete(proxy.clientId, proxy.credentialId))).toStrictEqual([
      "DeleteItem",
      "TransactWriteItems",
    ]);
    expect(await requestsOf(() => store.delete(proxy.clientId, proxy.credentialId))).toStrictEqual([
      "DeleteItem",
    ]);
  });

  it("delete with an event = GetItem + TransactWriteItems; 1 request given the record the caller read", async () => {
    const proxy = makeRecord();
    await store.create(proxy);
    const deleted = () => [makeEvent("credential.deleted", proxy)];
    // The service has read the record (for the event's payload): the store does not read it again.
    expect(
      await requestsOf(() => store.delete(proxy.clientId, proxy.credentialId, deleted(), proxy)),
    ).toStrictEqual(["TransactWriteItems"]);
    const other = makeRecord();
    await store.create(other);
    expect(await requestsOf(() => store.delete(other.clientId, other.credentialId, deleted()))).toStrictEqual(
      ["GetItem", "TransactWriteItems"],
    );
    // A read an update made stale: the transaction's version condition fails, the store reads again.
    const stale = makeRecord();
    await store.create(stale);
    await store.update({ ...stale, version: 2, name: "renamed" }, 1, stale.lookupHash);
    expect(
      await requestsOf(() => store.delete(stale.clientId, stale.credentialId, deleted(), stale)),
    ).toStrictEqual(["TransactWriteItems", "GetItem", "TransactWriteItems"]);
    // That is not a lost race: a store that retries none still removes the record.
    const strict = dynamoDbStore({ client, tableName, maxRaceRetries: 0 });
    const changed = makeRecord();
    await strict.create(changed);
    await strict.update({ ...changed, version: 2, name: "renamed" }, 1, changed.lookupHash);
    expect(await strict.delete(changed.clientId, changed.credentialId, deleted(), changed)).toBe(true);
    expect(await strict.get(changed.clientId, changed.credentialId)).toBeNull();
    // A record read just before it expired: expired by the store's clock now, so nothing is sent.
    let now = Date.now();
    const clocked = dynamoDbStore({ client, tableName, now: () => now });
    const lapsing = makeRecord({ temporary: true, expiresAt: now + 1000 });
    await clocked.create(lapsing);
    now += 1000;
    expect(
      await requestsOf(async () =>
        expect(await clocked.delete(lapsing.clientId, lapsing.credentialId, deleted(), lapsing)).toBe(false),
      ),
    ).toStrictEqual([]);
  });

  it("consume = 1 DeleteItem without a lookup hash; 2 requests with one", async () => {
    const plain = target();
    const proxy = makeRecord({ singleUse: true });
    await store.create(plain);
    await store.create(proxy);
    expect(await requestsOf(() => store.consume(plain.clientId, plain.credentialId))).toStrictEqual([
      "DeleteItem",
    ]);
    expect(await requestsOf(() => store.consume(proxy.clientId, proxy.credentialId))).toStrictEqual([
      "DeleteItem",
      "TransactWriteItems",
    ]);
  });

  it("list = 1 Query per page", async () => {
    const clientId = makeRecord().clientId;
    for (let i = 0; i < 5; i++) await store.create(makeRecord({ clientId }));
    const requests = await requestsOf(async () => {
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list(clientId, { limit: 2, cursor });
        cursor = page.cursor ?? undefined;
        pages++;
      } while (cursor !== undefined);
      // 5 records in pages of 2: 2 + 2 + 1, the last short page ends the walk.
      expect(pages).toBe(3);
    });
    expect(requests).toStrictEqual(["Query", "Query", "Query"]);
  });

  it("findByLookup = 1 GetItem", async () => {
    const record = makeRecord();
    await store.create(record);
    expect(
      await requestsOf(() => store.findByLookup(record.clientId, record.lookupHash ?? "")),
    ).toStrictEqual(["GetItem"]);
  });

  it("scan = 1 Scan per page", async () => {
    const requests = await requestsOf(() => store.scan({ limit: 3 }));
    expect(requests).toStrictEqual(["Scan"]);
  });

  it("leases and ping = 1 request each", async () => {
    const name = `lease-${makeRecord().credentialId}`;
    expect(await requestsOf(() => store.acquireLease(name, "a", 60_000))).toStrictEqual(["PutItem"]);
    expect(await requestsOf(() => store.releaseLease(name, "a"))).toStrictEqual(["DeleteItem"]);
    expect(await requestsOf(() => store.ping())).toStrictEqual(["GetItem"]);
  });
});
