import {
  DeleteTableCommand,
  type DynamoDBClient,
  type DynamoDBClientConfig,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { MAX_ENTRIES_PER_QUEUE, type OutboxEntry } from "@credkit/core";
import { afterAll, describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbEventOutbox } from "../src/index.js";
import { localClient, patientClientConfig, randomTableName } from "./local-client.js";
import { outboxEntry, storedWebhook } from "./outbox-fixtures.js";
import { cancelTransactions, failCommand, logRequests } from "./request-log.js";

// The DynamoDB outbox under the faults DynamoDB Local never makes by itself (lost races, a request
// failing, a write landing between a read and the conditional write after it), and the requests each
// operation sends: every retry and every shortcut is a request a test can count.

/** Delivery `n` of this file's client. */
const entry = (n: number, queue?: string) => outboxEntry("client-f", n, queue);

/** An error DynamoDB answers with when a request fails for good (the client tries once). */
const unavailable = () => Object.assign(new Error("injected"), { name: "InternalServerError" });

describe("dynamodb event outbox faults and requests", () => {
  const client = localClient();
  const tables: string[] = [];
  const clients: DynamoDBClient[] = [client];
  /** A fresh table, and an outbox on it through a client of its own (for faults and counts). */
  const fresh = async (config: DynamoDBClientConfig = {}) => {
    const tableName = randomTableName();
    tables.push(tableName);
    await createCredkitTable(client, tableName);
    const own = localClient({ ...patientClientConfig, ...config });
    clients.push(own);
    return { tableName, own, log: logRequests(own), outbox: dynamoDbEventOutbox({ client: own, tableName }) };
  };
  afterAll(async () => {
    for (const TableName of tables) await client.send(new DeleteTableCommand({ TableName }));
    for (const own of clients) own.destroy();
  });

  it("looks again at a queue's room up to 5 times while its append is cancelled, then is STORAGE_UNAVAILABLE", async () => {
    const { tableName, own, log, outbox } = await fresh();
    // The first try (every queue together) and 4 looks cancelled: the fifth look appends.
    cancelTransactions(own, 5, "ConditionalCheckFailed");
    await outbox.enqueue([entry(1)]);
    expect(log.filter((name) => name === "TransactWriteItems")).toHaveLength(6);
    const reader = dynamoDbEventOutbox({ client, tableName });
    expect((await reader.claim("o", 1_000, 5_000, 10)).map((e) => e.deliveryId)).toStrictEqual(["dlv_1"]);

    const again = await fresh();
    cancelTransactions(again.own, 6, "ConditionalCheckFailed");
    await expect(again.outbox.enqueue([entry(2)])).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    expect(again.log.filter((name) => name === "TransactWriteItems")).toHaveLength(6);
  });

  it("is STORAGE_UNAVAILABLE when a later transaction of an overflowing enqueue is cancelled", async () => {
    const { own, outbox } = await fresh();
    // 100 taken and 100 failed: 202 writes, the first 100 in the append's transaction.
    cancelTransactions(own, 1, "TransactionConflict", 1);
    const entries = Array.from({ length: 2 * MAX_ENTRIES_PER_QUEUE }, (_, i) => entry(i));
    await expect(outbox.enqueue(entries)).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
  });

  it("enqueues with one transaction when every queue has room, and queue by queue when one is over its bound", async () => {
    const { log, outbox } = await fresh();
    await outbox.enqueue([entry(1, "q1"), entry(2, "q2")]);
    // A queue's whole bound at once still fits.
    await outbox.enqueue(Array.from({ length: MAX_ENTRIES_PER_QUEUE }, (_, i) => entry(10 + i, "q3")));
    expect(log).toStrictEqual(["TransactWriteItems", "TransactWriteItems"]);
    log.length = 0;
    const over = Array.from({ length: MAX_ENTRIES_PER_QUEUE + 1 }, (_, i) => entry(200 + i, "q4"));
    await outbox.enqueue([...over, entry(400, "q5")]);
    // No transaction bound to be cancelled first: each queue reads its room, the one over it trims.
    expect(log).toStrictEqual(["GetItem", "TransactWriteItems", "Query", "GetItem", "TransactWriteItems"]);
  });

  it("claims each due queue once: one Query, then a conditional write and a read a queue", async () => {
    const { log, outbox } = await fresh();
    await outbox.enqueue(Array.from({ length: 5 }, (_, i) => entry(i, `q${i}`)));
    log.length = 0;
    expect(await outbox.claim("o", 1_000, 5_000, 10)).toHaveLength(5);
    expect([...log].sort()).toStrictEqual(
      ["Query", ...Array(5).fill("GetItem"), ...Array(5).fill("UpdateItem")].sort(),
    );
  });

  it("is STORAGE_UNAVAILABLE, never a lost claim or settlement, when a write fails", async () => {
    const { own, outbox } = await fresh({ maxAttempts: 1 });
    await outbox.enqueue([entry(1), entry(2, "q2")]);
    failCommand(own, "UpdateItemCommand", unavailable);
    await expect(outbox.claim("o", 1_000, 5_000, 1)).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      cause: { name: "InternalServerError" },
    });
    const [head] = await outbox.claim("o", 1_000, 5_000, 1);
    failCommand(own, "TransactWriteItemsCommand", unavailable);
    await expect(outbox.settle(head as OutboxEntry, "o", { outcome: "delivered" })).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      cause: { name: "InternalServerError" },
    });
  });

  it("saves a webhook with a read and a transaction; the first of a client lists its webhooks too", async () => {
    const { log, outbox } = await fresh();
    await outbox.saveWebhook(storedWebhook("client-f", "wh_1"));
    expect(log).toStrictEqual(["GetItem", "Query", "TransactWriteItems"]);
    log.length = 0;
    await outbox.saveWebhook(storedWebhook("client-f", "wh_2"));
    expect(log).toStrictEqual(["GetItem", "TransactWriteItems"]);
  });

  it("fails a registry transaction DynamoDB refuses with STORAGE_UNAVAILABLE and its error, at once", async () => {
    const { own, log, outbox } = await fresh({ maxAttempts: 1 });
    failCommand(own, "TransactWriteItemsCommand", unavailable, { times: 2 });
    await expect(outbox.saveWebhook(storedWebhook("client-f", "wh_1"))).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      cause: { name: "InternalServerError" },
    });
    await expect(outbox.deleteWebhook("client-f", "wh_1")).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      cause: { name: "InternalServerError" },
    });
    expect(log.filter((name) => name === "TransactWriteItems")).toHaveLength(2);
  });

  it("tries a registry transaction that lost a race 5 times, then is STORAGE_UNAVAILABLE", async () => {
    const { own, outbox } = await fresh();
    cancelTransactions(own, 4, "TransactionConflict");
    await outbox.saveWebhook(storedWebhook("client-f", "wh_1"));
    expect((await outbox.listWebhooks("client-f")).map((w) => w.webhookId)).toStrictEqual(["wh_1"]);
    cancelTransactions(own, 5, "TransactionConflict");
    await expect(outbox.saveWebhook(storedWebhook("client-f", "wh_2"))).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
    });

    cancelTransactions(own, 5, "TransactionConflict");
    await expect(outbox.deleteWebhook("client-f", "wh_1")).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
    });
    expect(await outbox.getWebhook("client-f", "wh_1")).not.toBeNull();
    cancelTransactions(own, 4, "TransactionConflict");
    expect(await outbox.deleteWebhook("client-f", "wh_1")).toBe(true);
    expect(await outbox.getWebhook("client-f", "wh_1")).toBeNull();
  });

  it("loses a secret replacement to a write that lands between its read and its conditional write", async () => {
    const { tableName, own, outbox } = await fresh();
    const hook = storedWebhook("client-f", "wh_1");
    await outbox.saveWebhook(hook);
    const theirs = { ...hook, secret: "ck1.theirs" };
    let interleaved = false;
    own.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "PutItemCommand" && !interleaved) {
          interleaved = true;
          await client.send(
            new PutItemCommand({
              TableName: tableName,
              Item: {
                pk: { S: "webhook#client-f" },
                sk: { S: "webhook#wh_1" },
                data: { S: JSON.stringify(theirs) },
              },
            }),
          );
        }
        return next(args);
      },
      { step: "initialize", name: "credkitInterleave" },
    );
    expect(await outbox.replaceWebhookSecret("client-f", "wh_1", hook.secret, "ck1.ours")).toBe(false);
    expect(interleaved).toBe(true);
    expect((await outbox.getWebhook("client-f", "wh_1"))?.secret).toBe("ck1.theirs");
  });
});
