import {
  type AttributeValue,
  DeleteTableCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import type { AnyCredkitEvent, StoredCredential } from "@credkit/core";
import { makeEvent, makeRecord } from "@credkit/storage-test-suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { localClient, patientClientConfig, randomTableName } from "./local-client.js";
import { logRequests } from "./request-log.js";

/** An event of `record` stamped `timestamp` (and `id`), as the service drafts one before its write. */
function eventOf(record: StoredCredential, timestamp: string, id?: string): AnyCredkitEvent {
  const event = makeEvent("credential.updated", record);
  return { ...event, timestamp, id: id ?? event.id };
}

// The pending-event log as DynamoDB holds it: items of one partition, written in the write's own
// transaction, read with one strongly consistent Query in the order of their sort keys.
describe("dynamodb pending-event log", () => {
  const client = localClient(patientClientConfig);
  // A table per test: the log is one partition per table, so no test sees another's events.
  const tables: string[] = [];
  /** A store on a fresh table, the client's request log and every request's input by operation. */
  async function fresh() {
    const tableName = randomTableName();
    tables.push(tableName);
    await createCredkitTable(client, tableName);
    return { tableName, store: dynamoDbStore({ client, tableName }) };
  }
  const log = logRequests(client);
  const inputs: [string, Record<string, unknown>][] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      inputs.push([
        String(context.commandName).replace(/Command$/, ""),
        args.input as Record<string, unknown>,
      ]);
      return next(args);
    },
    { step: "initialize", name: "credkitInputLog" },
  );
  /** Every item of the log's partition, as it lies at rest. */
  const rawLog = async (tableName: string) =>
    (
      await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": { S: "events-pending" } },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];

  beforeAll(() => fresh());
  afterAll(async () => {
    for (const TableName of tables) await client.send(new DeleteTableCommand({ TableName }));
    client.destroy();
  });

  it("stores each event as one item keyed by its timestamp and id, in the write's one request", async () => {
    const { tableName, store } = await fresh();
    const record = makeRecord({ lookupHash: null, credentialType: "target", authType: "none" });
    const events = [
      eventOf(record, "2026-01-02T00:00:00.000Z", "evt_b"),
      eventOf(record, "2026-01-01T00:00:00.000Z", "evt_a"),
    ];
    log.length = 0;
    await store.create(record, events);
    expect(log).toStrictEqual(["TransactWriteItems"]);
    expect(await rawLog(tableName)).toStrictEqual(
      [events[1], events[0]].map((event) => ({
        pk: { S: "events-pending" },
        sk: { S: `event#${event?.timestamp}#${event?.id}` },
        event: { S: JSON.stringify(event) },
      })),
    );
    // Oldest first, whatever order the writes carried them in.
    const pending = await store.pendingEvents(10);
    expect(pending).toStrictEqual(
      [events[1], events[0]].map((event) => ({ handle: `event#${event?.timestamp}#${event?.id}`, event })),
    );
  });

  it("reads with one strongly consistent Query of at most `limit` items", async () => {
    const { store } = await fresh();
    const record = makeRecord({ lookupHash: null });
    await store.create(record, [
      eventOf(record, "2026-01-01T00:00:00.000Z"),
      eventOf(record, "2026-01-01T00:00:01.000Z"),
    ]);
    inputs.length = 0;
    expect(await store.pendingEvents(1)).toHaveLength(1);
    expect(inputs).toHaveLength(1);
    expect(inputs[0]?.[0]).toBe("Query");
    expect(inputs[0]?.[1]).toMatchObject({ ConsistentRead: true, Limit: 1 });
  });

  it("skips an item of the log's partition that holds no event, and reads nothing outside the log", async () => {
    const { tableName, store } = await fresh();
    const record = makeRecord({ lookupHash: null });
    const event = eventOf(record, "2026-01-01T00:00:00.000Z");
    await store.create(record, [event]);
    // Not written by this store: an item of the log without an event, and one of another sort key.
    const planted: Record<string, AttributeValue>[] = [
      { sk: { S: "event#2025-12-31T00:00:00.000Z#evt_none" } },
      { sk: { S: "other#2025-12-31T00:00:00.000Z" }, event: { S: JSON.stringify(event) } },
    ];
    for (const item of planted) {
      await client.send(
        new PutItemCommand({ TableName: tableName, Item: { pk: { S: "events-pending" }, ...item } }),
      );
    }
    expect((await store.pendingEvents(10)).map((entry) => entry.event)).toStrictEqual([event]);
  });

  it("reads the record a delete with events removes strongly consistently, and stores nothing for one absent or expired", async () => {
    const { tableName } = await fresh();
    let clock = Date.now();
    const store = dynamoDbStore({ client, tableName, now: () => clock });
    const expiring = makeRecord({ temporary: true, expiresAt: clock + 60_000 });
    await store.create(expiring);
    const event = eventOf(expiring, "2026-01-01T00:00:00.000Z");
    clock += 60_000;
    inputs.length = 0;
    expect(await store.consume(expiring.clientId, expiring.credentialId, [event])).toBeNull();
    expect(await store.delete(expiring.clientId, "absent", [event])).toBe(false);
    expect(inputs.map(([operation, input]) => [operation, input.ConsistentRead])).toStrictEqual([
      ["GetItem", true],
      ["GetItem", true],
    ]);
    expect(await rawLog(tableName)).toStrictEqual([]);
  });

  it("removes exactly the entries given, each with one DeleteItem sent together", async () => {
    const { tableName, store } = await fresh();
    const record = makeRecord({ lookupHash: null });
    const events = ["00", "01", "02"].map((s) => eventOf(record, `2026-01-01T00:00:${s}.000Z`));
    await store.create(record, events);
    const pending = await store.pendingEvents(10);
    log.length = 0;
    await store.removePendingEvents([pending[0], pending[2]].filter((entry) => entry !== undefined));
    expect(log).toStrictEqual(["DeleteItem", "DeleteItem"]);
    expect((await rawLog(tableName)).map((item) => item.sk?.S)).toStrictEqual([pending[1]?.handle]);
  });

  it("stores no event of an update without a lookup hash that does not apply, and answers it exactly", async () => {
    const { tableName, store } = await fresh();
    const record = makeRecord({ lookupHash: null, credentialType: "target", authType: "none" });
    await store.create(record);
    const event = eventOf(record, "2026-01-01T00:00:00.000Z");
    log.length = 0;
    await expect(store.update({ ...record, version: 3 }, 2, null, [event])).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
    });
    const absent = makeRecord({ lookupHash: null, clientId: record.clientId });
    expect(await store.update({ ...absent, version: 2 }, 1, null, [event])).toBeNull();
    // One transaction each: the put and its event; the old item comes back with the failed condition.
    expect(log).toStrictEqual(["TransactWriteItems", "TransactWriteItems"]);
    expect(await rawLog(tableName)).toStrictEqual([]);
    const next = { ...record, version: 2, name: "renamed" };
    expect(await store.update(next, 1, null, [event])).toStrictEqual(next);
    expect((await store.pendingEvents(10)).map((entry) => entry.event)).toStrictEqual([event]);
  });
});
