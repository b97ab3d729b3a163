import {
  DeleteTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { FAILED_KEPT_PER_WEBHOOK, MAX_ENTRIES_PER_QUEUE, type OutboxEntry } from "@credkit/core";
import { afterAll, describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbEventOutbox } from "../src/index.js";
import { localClient, randomTableName } from "./local-client.js";
import { outboxEntry, storedWebhook } from "./outbox-fixtures.js";
import { failAttempts, logRequests } from "./request-log.js";

// What only the DynamoDB outbox promises, on DynamoDB Local: its items, its requests and its pages
// (the behaviour every outbox shares is the conformance suite's, in outbox.test.ts).

/**
 * Caps every Query and Scan page at `size` items, as DynamoDB's 1 MB page does with larger items: a
 * page boundary like any other, at a size a test can reach.
 */
function smallPages(client: DynamoDBClient, size: number): DynamoDBClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "QueryCommand" || context.commandName === "ScanCommand") {
        const input = args.input as { Limit?: number };
        input.Limit = Math.min(input.Limit ?? size, size);
      }
      return next(args);
    },
    { step: "initialize", name: "credkitSmallPages" },
  );
  return client;
}

/** The input of every read the client sends (GetItem, Query, Scan). */
function readInputs(client: DynamoDBClient): { command: string; input: { ConsistentRead?: boolean } }[] {
  const reads: { command: string; input: { ConsistentRead?: boolean } }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      if (/^(GetItem|Query|Scan)Command$/.test(command))
        reads.push({ command, input: { ...(args.input as object) } });
      return next(args);
    },
    { step: "initialize", name: "credkitReadInputs" },
  );
  return reads;
}

/** Delivery `n` of this file's client. */
const entry = (n: number, queue?: string) => outboxEntry("client-o", n, queue);

describe("dynamodb event outbox items", () => {
  const client = localClient();
  const tables: string[] = [];
  const fresh = async (outboxClient: DynamoDBClient = client) => {
    const tableName = randomTableName();
    tables.push(tableName);
    await createCredkitTable(client, tableName);
    return { tableName, outbox: dynamoDbEventOutbox({ client: outboxClient, tableName }) };
  };
  const outboxItems = async (tableName: string) =>
    ((await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [])
      .map((item) => `${item.pk?.S} ${item.sk?.S}`)
      .filter((key) => key.startsWith("outbox"))
      .sort();
  const paged = smallPages(localClient(), 2);
  afterAll(async () => {
    for (const TableName of tables) await client.send(new DeleteTableCommand({ TableName }));
    client.destroy();
    paged.destroy();
  });

  it("refuses a table name under 3 characters as CONFIGURATION_ERROR, and takes one of 3", () => {
    expect(() => dynamoDbEventOutbox({ client, tableName: "ab" })).toThrow(
      expect.objectContaining({ code: "CONFIGURATION_ERROR" }),
    );
    expect(dynamoDbEventOutbox({ client, tableName: "abc" }).name).toBe("dynamodb");
  });

  it("sends nothing for an empty enqueue", async () => {
    const counted = localClient();
    const log = logRequests(counted);
    const { tableName, outbox } = await fresh(counted);
    log.length = 0;
    await outbox.enqueue([]);
    expect(log).toStrictEqual([]);
    expect(await outboxItems(tableName)).toStrictEqual([]);
    counted.destroy();
  });

  it("makes a new queue due at its first entry's next attempt", async () => {
    const { outbox } = await fresh();
    await outbox.enqueue([{ ...entry(1), nextAttemptAt: 5_000 }]);
    expect(await outbox.claim("o", 4_999, 5_000, 10)).toStrictEqual([]);
    expect((await outbox.claim("o", 5_000, 5_000, 10)).map((e) => e.deliveryId)).toStrictEqual(["dlv_1"]);
  });

  it("keeps a webhook's newest FAILED_KEPT_PER_WEBHOOK failures, in the order they failed, and forgets them all with it", async () => {
    const { outbox } = await fresh();
    await outbox.saveWebhook(storedWebhook("client-o", "wh_1"));
    // Past the queue's bound by more than a webhook keeps, in one enqueue: 1,098 failures in the same
    // millisecond (only the order of settling sorts them), written with the append in exactly 11
    // transactions of 100 items.
    const burst = Array.from({ length: MAX_ENTRIES_PER_QUEUE + FAILED_KEPT_PER_WEBHOOK + 98 }, (_, i) =>
      entry(i),
    );
    await outbox.enqueue(burst);
    const failedIds = async () =>
      (await outbox.listFailed("client-o", "wh_1", 2 * FAILED_KEPT_PER_WEBHOOK)).map((e) => e.deliveryId);
    const newest = (from: number) =>
      burst
        .slice(from)
        .reverse()
        .map((e) => e.deliveryId);
    expect(await failedIds()).toStrictEqual(newest(burst.length - FAILED_KEPT_PER_WEBHOOK));
    // A failed settlement is trimmed too: the oldest failure left makes room for it.
    const [head] = await outbox.claim("o", 1_000, 5_000, 10);
    expect(head?.deliveryId).toBe("dlv_0");
    const failedAt = new Date(Date.now() + 60_000).toISOString();
    expect(await outbox.settle(head as OutboxEntry, "o", { outcome: "failed", error: "e", failedAt })).toBe(
      true,
    );
    expect(await failedIds()).toStrictEqual(["dlv_0", ...newest(burst.length - FAILED_KEPT_PER_WEBHOOK + 1)]);
    // Deleted 25 keys a request (BatchWriteItem's bound), all of them.
    expect(await outbox.deleteWebhook("client-o", "wh_1")).toBe(true);
    expect(await failedIds()).toStrictEqual([]);
  });

  it("removes a queue's two items with its last entry, and a queue a crash left empty at the next claim", async () => {
    const { tableName, outbox } = await fresh();
    await outbox.enqueue([entry(1), entry(2)]);
    for (const n of [1, 2]) {
      const [head] = await outbox.claim("o", 1_000 + n, 5_000, 10);
      expect(head?.deliveryId).toBe(`dlv_${n}`);
      expect(await outbox.settle(head as OutboxEntry, "o", { outcome: "delivered" })).toBe(true);
      expect(await outboxItems(tableName)).toStrictEqual(
        n === 1 ? ["outbox queue#wh_1/cred-a", "outbox-queue#wh_1/cred-a queue"] : [],
      );
    }
    // A process that stopped between a settle and the drop that follows it leaves an empty queue due.
    const put = (Item: Record<string, { S: string } | { N: string } | { L: [] }>) =>
      client.send(new PutItemCommand({ TableName: tableName, Item }));
    await put({ pk: { S: "outbox" }, sk: { S: "queue#q" }, due: { N: "0" }, pending: { N: "0" } });
    await put({ pk: { S: "outbox-queue#q" }, sk: { S: "queue" }, entries: { L: [] }, ids: { L: [] } });
    expect(await outbox.claim("o", 2_000, 5_000, 10)).toStrictEqual([]);
    expect(await outboxItems(tableName)).toStrictEqual([]);
  });

  it("writes a fan-out wider than one transaction in several, every queue claimable", async () => {
    const { outbox } = await fresh();
    const entries = Array.from({ length: 60 }, (_, i) => entry(i, `wh_1/cred-${i}`));
    await outbox.enqueue(entries);
    const claimed = await outbox.claim("o", 1_000, 60_000, 100);
    expect(claimed.map((e) => e.deliveryId).sort()).toStrictEqual(entries.map((e) => e.deliveryId).sort());
  });

  it("reads page after page: failed deliveries up to the limit, due queues past pages of leased ones", async () => {
    const { outbox } = await fresh(paged);
    const queues = Array.from({ length: 5 }, (_, i) => `wh_1/cred-${i}`);
    await outbox.enqueue(queues.map((queue, i) => entry(i, queue)));
    const heads = await outbox.claim("o", 1_000, 5_000, 10);
    expect(heads).toHaveLength(5);
    for (const [i, head] of heads.entries()) {
      const failedAt = new Date(1_000 + i).toISOString();
      expect(await outbox.settle(head, "o", { outcome: "failed", error: `e${i}`, failedAt })).toBe(true);
    }
    const newest = [...heads].reverse().map((e) => e.deliveryId);
    expect((await outbox.listFailed("client-o", "wh_1", 3)).map((e) => e.deliveryId)).toStrictEqual(
      newest.slice(0, 3),
    );
    expect((await outbox.listFailed("client-o", "wh_1", 10)).map((e) => e.deliveryId)).toStrictEqual(newest);
    // Five leased queues sort before the one due: the claim reads past their pages to reach it.
    await outbox.enqueue(queues.map((queue, i) => entry(10 + i, queue)));
    expect(await outbox.claim("o", 2_000, 5_000, 10)).toHaveLength(5);
    await outbox.enqueue([entry(20, "wh_1/due")]);
    expect((await outbox.claim("o", 3_000, 5_000, 1)).map((e) => e.deliveryId)).toStrictEqual(["dlv_20"]);
  });

  it("reads strongly consistent everywhere: another process's write is seen at once", async () => {
    const reading = localClient();
    const reads = readInputs(reading);
    const { outbox } = await fresh(reading);
    const webhook = storedWebhook("client-o", "wh_1");
    await outbox.saveWebhook(webhook);
    await outbox.listWebhooks("client-o");
    await outbox.listAllWebhooks();
    expect(await outbox.replaceWebhookSecret("client-o", "wh_1", "ck1.sealed", "ck1.new")).toBe(true);
    await outbox.enqueue([entry(1)]);
    const [head] = await outbox.claim("o", 1_000, 5_000, 10);
    await outbox.settle(head as OutboxEntry, "o", {
      outcome: "failed",
      error: "e",
      failedAt: "2026-01-01T00:00:00.000Z",
    });
    await outbox.listFailed("client-o", "wh_1", 10);
    expect(await outbox.deleteWebhook("client-o", "wh_1")).toBe(true);
    // Past a queue's bound: the enqueue reads the room left.
    await outbox.enqueue(Array.from({ length: MAX_ENTRIES_PER_QUEUE + 1 }, (_, i) => entry(i, "wh_1/full")));
    reading.destroy();
    expect(new Set(reads.map((read) => read.command))).toStrictEqual(
      new Set(["GetItemCommand", "QueryCommand", "ScanCommand"]),
    );
    expect(reads.filter((read) => read.input.ConsistentRead !== true)).toStrictEqual([]);
  });

  it("fails an enqueue DynamoDB keeps cancelling with STORAGE_UNAVAILABLE: an event is never dropped silently", async () => {
    const cancelling = localClient();
    const { tableName, outbox } = await fresh(cancelling);
    // Every transaction cancelled, the queue-by-queue retries included.
    failAttempts(cancelling, 1_000, () =>
      Object.assign(new Error("Transaction cancelled"), {
        name: "TransactionCanceledException",
        CancellationReasons: [{ Code: "TransactionConflict" }, { Code: "None" }],
      }),
    );
    await expect(outbox.enqueue([entry(1)])).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    cancelling.destroy();
    const reader = dynamoDbEventOutbox({ client, tableName });
    expect(await reader.claim("o", 1_000, 5_000, 10)).toStrictEqual([]);
    expect(await reader.listFailed("client-o", "wh_1", 10)).toStrictEqual([]);
  });

  it("orders webhooks created in the same millisecond by id, as the Redis outbox does", async () => {
    const { outbox } = await fresh();
    const createdAt = "2026-01-01T00:00:00.000Z";
    // By id in the locale's order (`a` before `B`), not the table's byte order (`B` before `a`).
    for (const webhookId of ["wh_B", "wh_a"]) {
      await outbox.saveWebhook(storedWebhook("client-o", webhookId, createdAt));
    }
    expect((await outbox.listWebhooks("client-o")).map((w) => w.webhookId)).toStrictEqual(["wh_a", "wh_B"]);
  });
});
