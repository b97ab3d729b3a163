import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CredkitError,
  type EventOutbox,
  FAILED_KEPT_PER_WEBHOOK,
  type OutboxEntry,
  type StoredWebhook,
  storageUnavailable,
} from "@credkit/core";
import { storeName } from "./context.js";
import { condition, namesIn, num, str, valuesIn } from "./expression.js";
import { failedPartitionPrefix, type ItemKey, outboxIndexPartition, webhookPartitionPrefix } from "./keys.js";
import { byQueue, enqueueWrites, queueContentKey, queueIndexKey, update } from "./outbox-queues.js";
import { attemptWrite, guard } from "./sdk-errors.js";

/** Configuration of {@link dynamoDbEventOutbox}. */
export interface DynamoDbEventOutboxConfig {
  /** The client (the store's, with its retries), owned by the caller. */
  client: DynamoDBClient;
  /** The credkit table (the store's): the outbox adds items, no table. */
  tableName: string;
}

// A transaction holds at most 100 items; an enqueue writes two per queue.
const QUEUES_PER_TRANSACTION = 50;
const BATCH_WRITE_MAX = 25;
const CLAIMS_AT_ONCE = 4;
// Ties among failed entries of one millisecond sort by this process's order of settling them.
let failedSequence = 0;

const webhookKey = (clientId: string, webhookId: string): ItemKey => ({
  pk: { S: `${webhookPartitionPrefix}${clientId}` },
  sk: { S: `${webhookPartitionPrefix}${webhookId}` },
});
const failedPartition = (clientId: string, webhookId: string) =>
  `${failedPartitionPrefix}${clientId}/${webhookId}`;
const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * The event outbox and webhook registry in the credkit DynamoDB table (no table of its own), shared by
 * every process using the table; entries survive a crash of any of them. Items (see the README):
 * - a webhook: `{pk: webhook#<clientId>, sk: webhook#<webhookId>, data}`;
 * - a queue's content: `{pk: outbox-queue#<queue>, sk: queue, entries, ids}`, head first. Appends are
 *   `list_append` on that one item, so the queue's order is the order DynamoDB applied the appends;
 * - a queue's index item, in the one `outbox` partition: `{sk: queue#<queue>, due, owner?, pending}`.
 *   A claim reads the due index items (one Query) and takes each with a conditional update (`due <=
 *   now`, moving `due` to the lease's end and naming the owner): of concurrent claimers one wins;
 * - a failed delivery: `{pk: outbox-failed#<clientId>/<webhookId>, sk: <failedAt>#<seq>#<deliveryId>, data}`.
 * Enqueue, settle (head removed or replaced, index updated, failed item written) are transactions, so
 * the index always counts what the content holds. One queue holds what fits in one item (400 KB: some
 * hundreds of events of one credential for one receiver waiting at once); an enqueue past that fails
 * with STORAGE_UNAVAILABLE.
 */
export function dynamoDbEventOutbox(config: DynamoDbEventOutboxConfig): EventOutbox {
  const { client, tableName } = config;
  if (tableName.length < 3) {
    throw new CredkitError("CONFIGURATION_ERROR", "A DynamoDB table name needs at least 3 characters");
  }

  async function transact(items: TransactWriteItem[]): Promise<boolean> {
    const result = await attemptWrite(client.send(new TransactWriteItemsCommand({ TransactItems: items })));
    if (result.kind === "ok") return true;
    if (result.kind === "cancelled") return false;
    throw storageUnavailable(storeName, result.error);
  }

  /** Every item of a partition (keys only, or `data`), in sort-key order or reversed. */
  async function query(
    pk: string,
    options: {
      forward?: boolean;
      limit?: number;
      projection?: string;
      filter?: string;
      values?: Record<string, AttributeValue>;
    } = {},
  ): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    const keyCondition = "#pk = :pk";
    const values = { ":pk": str(pk), ...options.values };
    do {
      const page = await guard(
        client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: keyCondition,
            ...(options.filter ? { FilterExpression: options.filter } : {}),
            ...(options.projection ? { ProjectionExpression: options.projection } : {}),
            ExpressionAttributeNames: namesIn(keyCondition, options.filter, options.projection),
            ExpressionAttributeValues: valuesIn(values, keyCondition, options.filter),
            ConsistentRead: true,
            ScanIndexForward: options.forward ?? true,
            ...(options.limit ? { Limit: options.limit - items.length } : {}),
            ExclusiveStartKey: start,
          }),
        ),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined && (options.limit === undefined || items.length < options.limit));
    return items;
  }

  async function deleteKeys(keys: ItemKey[]): Promise<void> {
    for (let i = 0; i < keys.length; i += BATCH_WRITE_MAX) {
      let requests = keys.slice(i, i + BATCH_WRITE_MAX).map((Key) => ({ DeleteRequest: { Key } }));
      while (requests.length > 0) {
        const output = await guard(
          client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } })),
        );
        requests = (output.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }
  }

  const keysOf = (items: Record<string, AttributeValue>[]): ItemKey[] =>
    items.map((item) => ({ pk: { S: item.pk?.S ?? "" }, sk: { S: item.sk?.S ?? "" } }));
  const parseData = <T>(item: Record<string, AttributeValue>) => JSON.parse(item.data?.S ?? "null") as T;

  /** Drops a queue whose last entry left (both items), unless an enqueue came in meanwhile. */
  async function dropIfEmpty(queue: string): Promise<void> {
    await transact([
      {
        Delete: {
          TableName: tableName,
          Key: queueIndexKey(queue),
          ...condition("#pending = :zero", { ":zero": num(0) }),
        },
      },
      {
        Delete: {
          TableName: tableName,
          Key: queueContentKey(queue),
          ...condition("size(#ids) = :zero", { ":zero": num(0) }),
        },
      },
    ]);
  }

  /** Takes one due queue for `owner`; its head, or null when another owner took it first or it is empty. */
  async function claimQueue(
    queue: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<OutboxEntry | null> {
    const values = { ":now": num(now), ":till": num(now + leaseMs), ":owner": str(owner) };
    const expression = "SET #due = :till, #owner = :owner";
    const due = "#due <= :now";
    const taken = await attemptWrite(
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: queueIndexKey(queue),
          UpdateExpression: expression,
          ConditionExpression: due,
          ExpressionAttributeNames: namesIn(expression, due),
          ExpressionAttributeValues: valuesIn(values, expression, due),
        }),
      ),
    );
    if (taken.kind !== "ok") {
      if (taken.kind === "condition") return null;
      throw storageUnavailable(storeName, taken.error);
    }
    const content = await guard(
      client.send(
        new GetItemCommand({ TableName: tableName, Key: queueContentKey(queue), ConsistentRead: true }),
      ),
    );
    const head = content.Item?.entries?.L?.[0]?.S;
    if (head === undefined) {
      await dropIfEmpty(queue);
      return null;
    }
    return JSON.parse(head) as OutboxEntry;
  }

  return {
    name: "dynamodb",
    async saveWebhook(webhook) {
      const result = await attemptWrite(
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { ...webhookKey(webhook.clientId, webhook.webhookId), data: str(JSON.stringify(webhook)) },
            ...condition("attribute_not_exists(#pk)", {}),
          }),
        ),
      );
      if (result.kind === "condition")
        throw new CredkitError("CONFLICT", `Webhook "${webhook.webhookId}" exists`);
      if (result.kind !== "ok") throw storageUnavailable(storeName, result.error);
    },
    async listWebhooks(clientId) {
      return (await query(`${webhookPartitionPrefix}${clientId}`))
        .map((item) => parseData<StoredWebhook>(item))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.webhookId.localeCompare(b.webhookId));
    },
    async getWebhook(clientId, webhookId) {
      const output = await guard(
        client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: webhookKey(clientId, webhookId),
            ConsistentRead: true,
          }),
        ),
      );
      return output.Item ? parseData<StoredWebhook>(output.Item) : null;
    },
    async listAllWebhooks() {
      const all: StoredWebhook[] = [];
      let start: Record<string, AttributeValue> | undefined;
      const filter = "begins_with(#pk, :prefix) AND begins_with(#sk, :prefix)";
      do {
        const page = await guard(
          client.send(
            new ScanCommand({
              TableName: tableName,
              FilterExpression: filter,
              ExpressionAttributeNames: namesIn(filter),
              ExpressionAttributeValues: { ":prefix": str(webhookPartitionPrefix) },
              ConsistentRead: true,
              ExclusiveStartKey: start,
            }),
          ),
        );
        for (const item of page.Items ?? []) all.push(parseData<StoredWebhook>(item));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return all;
    },
    async replaceWebhookSecret(clientId, webhookId, expectedSecret, secret) {
      const key = webhookKey(clientId, webhookId);
      const output = await guard(
        client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true })),
      );
      const stored = output.Item?.data?.S;
      if (stored === undefined) return false;
      const webhook = JSON.parse(stored) as StoredWebhook;
      if (webhook.secret !== expectedSecret) return false;
      const result = await attemptWrite(
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { ...key, data: str(JSON.stringify({ ...webhook, secret })) },
            // Unchanged since it was read: a concurrent delete or replacement wins.
            ...condition("#data = :stored", { ":stored": str(stored) }),
          }),
        ),
      );
      if (result.kind === "ok") return true;
      if (result.kind === "condition") return false;
      throw storageUnavailable(storeName, result.error);
    },
    async deleteWebhook(clientId, webhookId) {
      const output = await guard(
        client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: webhookKey(clientId, webhookId),
            ReturnValues: "ALL_OLD",
          }),
        ),
      );
      if (!output.Attributes) return false;
      await deleteKeys(keysOf(await query(failedPartition(clientId, webhookId), { projection: "#pk, #sk" })));
      return true;
    },
    async enqueue(entries) {
      const queues = [...byQueue(entries)];
      // Atomic up to 50 queues (one transaction); a larger fan-out is written in several.
      for (let i = 0; i < queues.length; i += QUEUES_PER_TRANSACTION) {
        const writes = queues
          .slice(i, i + QUEUES_PER_TRANSACTION)
          .flatMap(([queue, list]) => enqueueWrites(tableName, queue, list));
        if (!(await transact(writes))) {
          throw storageUnavailable(storeName, new Error("The outbox enqueue transaction was cancelled"));
        }
      }
    },
    async claim(owner, now, leaseMs, limit) {
      const due = await query(outboxIndexPartition, {
        filter: "#due <= :now",
        values: { ":now": num(now) },
        projection: "#sk",
      });
      const queues = due.slice(0, limit).map((item) => (item.sk?.S ?? "").slice("queue#".length));
      const heads: OutboxEntry[] = [];
      // A few at a time: each is a conditional write and a read, and a burst of sockets is what a
      // loaded table (or DynamoDB Local) times out on.
      for (let i = 0; i < queues.length; i += CLAIMS_AT_ONCE) {
        const taken = await Promise.all(
          queues.slice(i, i + CLAIMS_AT_ONCE).map((queue) => claimQueue(queue, owner, now, leaseMs)),
        );
        for (const head of taken) if (head !== null) heads.push(head);
      }
      return heads;
    },
    async settle(entry, owner, settlement) {
      const attempted = { ...entry, attempts: entry.attempts + 1 };
      const values = {
        ":owner": str(owner),
        ":id": str(entry.deliveryId),
        ":zero": num(0),
        ":minus": num(-1),
      };
      const held = "#owner = :owner";
      const isHead = "#ids[0] = :id";
      const writes: TransactWriteItem[] = [];
      if (settlement.outcome === "retry") {
        const next = { ...attempted, nextAttemptAt: settlement.nextAttemptAt, lastError: settlement.error };
        const v = { ...values, ":next": num(settlement.nextAttemptAt), ":json": str(JSON.stringify(next)) };
        writes.push(
          update(tableName, queueIndexKey(entry.queue), "SET #due = :next REMOVE #owner", v, held),
          update(tableName, queueContentKey(entry.queue), "SET #entries[0] = :json", v, isHead),
        );
        return transact(writes);
      }
      writes.push(
        update(
          tableName,
          queueIndexKey(entry.queue),
          "SET #due = :zero REMOVE #owner ADD #pending :minus",
          values,
          held,
        ),
        update(tableName, queueContentKey(entry.queue), "REMOVE #entries[0], #ids[0]", values, isHead),
      );
      const partition = failedPartition(entry.clientId, entry.webhookId);
      if (settlement.outcome === "failed") {
        const failed = { ...attempted, lastError: settlement.error, failedAt: settlement.failedAt };
        const sk = `${pad(Date.parse(settlement.failedAt), 15)}#${pad(failedSequence++, 12)}#${entry.deliveryId}`;
        writes.push({
          Put: {
            TableName: tableName,
            Item: { pk: str(partition), sk: str(sk), data: str(JSON.stringify(failed)) },
          },
        });
      }
      if (!(await transact(writes))) return false;
      await dropIfEmpty(entry.queue);
      if (settlement.outcome === "failed") {
        // Keep the newest FAILED_KEPT_PER_WEBHOOK: the rest, oldest, go.
        const kept = await query(partition, { forward: false, projection: "#pk, #sk" });
        if (kept.length > FAILED_KEPT_PER_WEBHOOK)
          await deleteKeys(keysOf(kept.slice(FAILED_KEPT_PER_WEBHOOK)));
      }
      return true;
    },
    async listFailed(clientId, webhookId, limit) {
      const items = await query(failedPartition(clientId, webhookId), { forward: false, limit });
      return items.map((item) => parseData<OutboxEntry>(item));
    },
  } satisfies EventOutbox;
}
