import { DeleteTableCommand, type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { StoredCredential } from "@credkit/core";
import { makeEvent, makeRecord } from "@credkit/storage-test-suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { lookupItem, recordItem } from "../src/item-codec.js";
import { dumpTable, localClient, patientClientConfig, randomTableName } from "./local-client.js";
import { logRequests } from "./request-log.js";

/**
 * Runs `action` once, just before the client's first `command` request (`TransactWriteItems`, ...): how
 * another process's write lands between the two requests of a write. DynamoDB Local serialises
 * requests, so such a race never happens there by itself.
 */
function beforeFirst(client: DynamoDBClient, command: string, action: () => Promise<unknown>): void {
  let done = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!done && context.commandName === `${command}Command`) {
        done = true;
        await action();
      }
      return next(args);
    },
    { step: "initialize", name: "credkitBeforeFirst" },
  );
}

// Writes of two requests (update when the lookup hash moves, delete and consume of a record with a
// lookup hash or with events) meeting another process's write between them, and lookup items that
// another record took over (after this one expired on some clock): each planted here.
describe("dynamodb two-request writes under races", () => {
  const setup = localClient(patientClientConfig);
  const tableName = randomTableName();
  const other = dynamoDbStore({ client: setup, tableName });
  const clients: DynamoDBClient[] = [setup];
  /** A store on a client of its own that runs `between` before its first `command`, and its request log. */
  function storeWith(command?: string, between?: () => Promise<unknown>) {
    const client = localClient(patientClientConfig);
    clients.push(client);
    const log = logRequests(client);
    if (command && between) beforeFirst(client, command, between);
    return { store: dynamoDbStore({ client, tableName }), log };
  }
  /** Makes the lookup item of `hash` hold `holder`, a record of the same client, as a takeover leaves it. */
  const plantLookup = (holder: StoredCredential, hash: string) =>
    setup.send(
      new PutItemCommand({ TableName: tableName, Item: lookupItem({ ...holder, lookupHash: hash }) }),
    );
  const moved = (record: StoredCredential) => ({
    ...record,
    version: record.version + 1,
    lookupHash: makeRecord().lookupHash,
  });

  beforeAll(() => createCredkitTable(setup, tableName));
  afterAll(async () => {
    await setup.send(new DeleteTableCommand({ TableName: tableName }));
    for (const client of clients) client.destroy();
  });

  it("moves a lookup hash without deleting an old lookup item another record took over", async () => {
    for (const hint of [true, false]) {
      const record = makeRecord();
      const oldHash = record.lookupHash as string;
      await other.create(record);
      const holder = makeRecord({ clientId: record.clientId, lookupHash: oldHash });
      await plantLookup(holder, oldHash);
      const { store, log } = storeWith();
      const next = moved(record);
      expect(await store.update(next, 1, hint ? oldHash : undefined)).toStrictEqual(next);
      // Without the hint the first request assumes the hash stays and finds it moved.
      const first = hint ? [] : ["TransactWriteItems"];
      expect(log).toStrictEqual([...first, "TransactWriteItems", "TransactWriteItems"]);
      expect(await other.findByLookup(record.clientId, oldHash)).toStrictEqual(holder);
      expect(await other.findByLookup(record.clientId, next.lookupHash as string)).toStrictEqual(next);
      expect(await other.get(record.clientId, record.credentialId)).toStrictEqual(next);
    }
  });

  it("answers a moving update's stale version and absent record from its one transaction", async () => {
    const record = makeRecord();
    await other.create(record);
    const { store, log } = storeWith();
    await expect(store.update({ ...moved(record), version: 3 }, 2, record.lookupHash)).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
    });
    const absent = makeRecord({ clientId: record.clientId });
    expect(await store.update(moved(absent), 1, absent.lookupHash)).toBeNull();
    expect(log).toStrictEqual(["TransactWriteItems", "TransactWriteItems"]);
    expect(await other.get(record.clientId, record.credentialId)).toStrictEqual(record);
  });

  it("refuses a moved lookup hash another record holds with CONFLICT in one transaction", async () => {
    const holder = makeRecord();
    await other.create(holder);
    // With the previous hash given, and for a record that had none.
    for (const lookupHash of [makeRecord().lookupHash, null]) {
      const record = makeRecord({ clientId: holder.clientId, lookupHash });
      await other.create(record);
      const { store, log } = storeWith();
      const next = { ...record, version: 2, lookupHash: holder.lookupHash };
      await expect(store.update(next, 1, lookupHash)).rejects.toMatchObject({ code: "CONFLICT" });
      expect(log).toStrictEqual(["TransactWriteItems"]);
      expect(await other.get(record.clientId, record.credentialId)).toStrictEqual(record);
    }
  });

  it("checks a previous hash that names the new one instead of trusting it", async () => {
    const record = makeRecord();
    await other.create(record);
    const next = moved(record);
    expect(await other.update(next, 1, next.lookupHash)).toStrictEqual(next);
    // The old lookup item is gone, not left to answer the replaced secret.
    expect(await other.findByLookup(record.clientId, record.lookupHash as string)).toBeNull();
    expect(await other.findByLookup(record.clientId, next.lookupHash as string)).toStrictEqual(next);
  });

  it("refuses a rename whose lookup item another record holds: CONFLICT", async () => {
    const record = makeRecord();
    await other.create(record);
    const holder = makeRecord({ clientId: record.clientId, lookupHash: record.lookupHash });
    await plantLookup(holder, record.lookupHash as string);
    await expect(other.update({ ...record, version: 2, name: "renamed" }, 1)).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });

  it("leaves no lookup item behind when an update drops the lookup hash", async () => {
    const record = makeRecord();
    await other.create(record);
    const next = { ...record, version: 2, lookupHash: null };
    expect(await other.update(next, 1, record.lookupHash)).toStrictEqual(next);
    const table = await dumpTable(setup, tableName);
    const mine = table.split("\n").filter((line) => line.includes(record.clientId));
    expect(mine.map((line) => JSON.parse(line).sk.S)).toStrictEqual([`cred#${record.credentialId}`]);
  });

  it("deletes a record without deleting its lookup item another record took over", async () => {
    const record = makeRecord();
    const hash = record.lookupHash as string;
    await other.create(record);
    const holder = makeRecord({ clientId: record.clientId, lookupHash: hash });
    await plantLookup(holder, hash);
    const { store, log } = storeWith();
    expect(await store.consume(record.clientId, record.credentialId)).toStrictEqual(record);
    expect(log).toStrictEqual(["DeleteItem", "TransactWriteItems", "TransactWriteItems"]);
    expect(await other.get(record.clientId, record.credentialId)).toBeNull();
    expect(await other.findByLookup(record.clientId, hash)).toStrictEqual(holder);
  });

  it("starts a delete over when the record was updated between its two requests, and removes the new version", async () => {
    for (const events of [false, true]) {
      const record = makeRecord();
      await other.create(record);
      const renamed = { ...record, version: 2, name: "renamed between" };
      const { store, log } = storeWith("TransactWriteItems", () => other.update(renamed, 1));
      const removed = await store.consume(
        record.clientId,
        record.credentialId,
        events ? [makeEvent("credential.deleted", record)] : [],
      );
      expect(removed).toStrictEqual(renamed);
      const read = events ? "GetItem" : "DeleteItem";
      expect(log).toStrictEqual([read, "TransactWriteItems", read, "TransactWriteItems"]);
      expect(await other.get(record.clientId, record.credentialId)).toBeNull();
      expect(await other.findByLookup(record.clientId, record.lookupHash as string)).toBeNull();
    }
  });

  it("answers null at once when the record was removed or expired between a delete's two requests", async () => {
    const expire = (record: StoredCredential) =>
      setup.send(
        new PutItemCommand({
          TableName: tableName,
          Item: recordItem({ ...record, temporary: true, expiresAt: Date.now() - 1_000 }),
        }),
      );
    for (const between of [
      (record: StoredCredential) => other.delete(record.clientId, record.credentialId),
      expire,
    ]) {
      for (const events of [false, true]) {
        const record = makeRecord();
        await other.create(record);
        const { store, log } = storeWith("TransactWriteItems", () => between(record));
        const removed = await store.consume(
          record.clientId,
          record.credentialId,
          events ? [makeEvent("credential.deleted", record)] : [],
        );
        expect(removed).toBeNull();
        expect(log).toStrictEqual([events ? "GetItem" : "DeleteItem", "TransactWriteItems"]);
      }
    }
  });
});
