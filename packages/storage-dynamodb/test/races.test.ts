import { DeleteTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { makeEvent, makeRecord } from "@credkit/storage-test-suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { localClient, randomTableName } from "./local-client.js";
import { cancelTransactions, logRequests } from "./request-log.js";

// A transaction that lost a race is sent again, up to maxRaceRetries times; any other cancellation
// that is not a failed condition is an outage, never CONFLICT.
describe("dynamodb writes that lose a race", () => {
  const setup = localClient();
  const tableName = randomTableName();
  const clients: DynamoDBClient[] = [];
  /** A store whose client cancels its next `times` transactions with `code`. */
  function storeCancelling(times: number, code = "TransactionConflict", maxRaceRetries = 2) {
    const client = localClient();
    clients.push(client);
    const log = logRequests(client);
    cancelTransactions(client, times, code);
    return { store: dynamoDbStore({ client, tableName, maxRaceRetries }), log };
  }

  beforeAll(() => createCredkitTable(setup, tableName));
  afterAll(async () => {
    await setup.send(new DeleteTableCommand({ TableName: tableName }));
    setup.destroy();
    for (const client of clients) client.destroy();
  });

  it("create retries up to maxRaceRetries times, then is STORAGE_UNAVAILABLE", async () => {
    const record = makeRecord();
    const won = storeCancelling(2);
    await won.store.create(record);
    expect(won.log).toEqual(["TransactWriteItems", "TransactWriteItems", "TransactWriteItems"]);
    expect(await won.store.get(record.clientId, record.credentialId)).toStrictEqual(record);
    const lost = storeCancelling(3);
    await expect(lost.store.create(makeRecord())).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    expect(lost.log).toHaveLength(3);
  });

  it("update retries up to maxRaceRetries times, then is STORAGE_UNAVAILABLE", async () => {
    const record = makeRecord();
    await storeCancelling(0).store.create(record);
    const next = { ...record, name: "renamed", version: record.version + 1 };
    const won = storeCancelling(2);
    expect(await won.store.update(next, record.version)).toStrictEqual(next);
    expect(won.log).toEqual(["TransactWriteItems", "TransactWriteItems", "TransactWriteItems"]);
    const lost = storeCancelling(3);
    const after = { ...next, name: "again", version: next.version + 1 };
    await expect(lost.store.update(after, next.version)).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      cause: { name: "TransactionCanceledException" },
    });
    expect(lost.log).toHaveLength(3);
  });

  it("retries a lost race of an update without a lookup hash that carries events", async () => {
    const record = makeRecord({ lookupHash: null, credentialType: "target", authType: "none" });
    await storeCancelling(0).store.create(record);
    const next = { ...record, name: "renamed", version: 2 };
    const event = makeEvent("credential.updated", next);
    const won = storeCancelling(1);
    expect(await won.store.update(next, 1, null, [event])).toStrictEqual(next);
    expect(won.log).toEqual(["TransactWriteItems", "TransactWriteItems"]);
    const lost = storeCancelling(3);
    await expect(lost.store.update({ ...next, version: 3 }, 2, null, [event])).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      cause: { name: "TransactionCanceledException" },
    });
  });

  it("delete retries its transaction up to maxRaceRetries times, then is STORAGE_UNAVAILABLE", async () => {
    const record = makeRecord();
    await storeCancelling(0).store.create(record);
    const lost = storeCancelling(3);
    await expect(lost.store.delete(record.clientId, record.credentialId)).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      cause: { name: "TransactionCanceledException" },
    });
    // Each attempt: the DeleteItem that finds a lookup hash, then the transaction.
    expect(lost.log).toEqual(Array.from({ length: 3 }, () => ["DeleteItem", "TransactWriteItems"]).flat());
    const won = storeCancelling(2);
    expect(await won.store.delete(record.clientId, record.credentialId)).toBe(true);
    expect(won.log).toHaveLength(6);
    expect(await won.store.get(record.clientId, record.credentialId)).toBeNull();
  });

  it("answers a cancellation that is neither a race nor a failed condition as STORAGE_UNAVAILABLE at once", async () => {
    const record = makeRecord();
    await storeCancelling(0).store.create(record);
    const next = { ...record, name: "renamed", version: record.version + 1 };
    for (const [action, requests] of [
      [(s: ReturnType<typeof dynamoDbStore>) => s.create(makeRecord()), ["TransactWriteItems"]],
      [(s: ReturnType<typeof dynamoDbStore>) => s.update(next, record.version), ["TransactWriteItems"]],
      [
        (s: ReturnType<typeof dynamoDbStore>) => s.delete(record.clientId, record.credentialId),
        ["DeleteItem", "TransactWriteItems"],
      ],
    ] as const) {
      const { store, log } = storeCancelling(1, "ValidationError");
      await expect(action(store)).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
      expect(log).toEqual(requests);
    }
    expect(await storeCancelling(0).store.get(record.clientId, record.credentialId)).toStrictEqual(record);
  });
});
