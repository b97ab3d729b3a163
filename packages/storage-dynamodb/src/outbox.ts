import {
  type DynamoDBClient,
  GetItemCommand,
  type TransactWriteItem,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CredkitError,
  type EventOutbox,
  FAILED_KEPT_PER_WEBHOOK,
  MAX_ENTRIES_PER_QUEUE,
  type OutboxEntry,
  queueFull,
  storageUnavailable,
} from "@credkit/core";
import { storeName } from "./context.js";
import { condition, namesIn, num, str, valuesIn } from "./expression.js";
import { outboxIndexPartition } from "./keys.js";
import { byQueue, enqueueWrites, queueContentKey, queueIndexKey, update } from "./outbox-queues.js";
import { keysOf, outboxTable, parseData } from "./outbox-table.js";
import { failedPartition, webhookRegistry } from "./outbox-webhooks.js";
import { attemptWrite, guard } from "./sdk-errors.js";

/** Configuration of {@link dynamoDbEventOutbox}. */
export interface DynamoDbEventOutboxConfig {
  /** The client (the store's, with its retries), owned by the caller. */
  client: DynamoDBClient;
  /** The credkit table (the store's): the outbox adds items, no table. */
  tableName: string;
}

// A transaction holds at most 100 items; an enqueue writes two per queue.
const TRANSACTION_ITEMS = 100;
const QUEUES_PER_TRANSACTION = TRANSACTION_ITEMS / 2;
const CLAIMS_AT_ONCE = 4;
// Reads of a full queue's room before an enqueue gives up (STORAGE_UNAVAILABLE: the relay tries again).
const BOUNDED_LOOKS = 5;
// Ties among failed entries of one millisecond sort by this process's order of settling them.
let failedSequence = 0;
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
 * the index always counts what the content holds. One queue holds at most `MAX_ENTRIES_PER_QUEUE`
 * entries, well within one item's 400 KB; an entry past that is written to its webhook's failed list
 * (`queue_full`) instead, so a receiver that never answers can never make an enqueue fail (which would
 * hold back the relay of every client's events).
 */
export function dynamoDbEventOutbox(config: DynamoDbEventOutboxConfig): EventOutbox {
  const { client, tableName } = config;
  if (tableName.length < 3) {
    throw new CredkitError("CONFIGURATION_ERROR", "A DynamoDB table name needs at least 3 characters");
  }

  const table = outboxTable(client, tableName);
  const { transact, query, deleteKeys } = table;

  /** The Put of a given-up entry into its webhook's failed partition, newest last in sort-key order. */
  function failedPut(failed: OutboxEntry): TransactWriteItem {
    // Stryker disable next-line StringLiteral: every caller sets failedAt (queueFull, a failed settlement)
    const failedAt = Date.parse(failed.failedAt ?? "");
    const sk = `${pad(failedAt, 15)}#${pad(failedSequence++, 12)}#${failed.deliveryId}`;
    return {
      Put: {
        TableName: tableName,
        Item: {
          pk: str(failedPartition(failed.clientId, failed.webhookId)),
          sk: str(sk),
          data: str(JSON.stringify(failed)),
        },
      },
    };
  }

  /** Keeps the newest FAILED_KEPT_PER_WEBHOOK failed entries of a webhook: the rest, oldest, go. */
  async function trimFailed(clientId: string, webhookId: string): Promise<void> {
    const partition = failedPartition(clientId, webhookId);
    // Stryker disable next-line StringLiteral: the projection only makes the read smaller; keys are all it uses
    const kept = await query(partition, { forward: false, projection: "#pk, #sk" });
    // Nothing past the bound: an empty list, and deleteKeys sends no request for it.
    await deleteKeys(keysOf(kept.slice(FAILED_KEPT_PER_WEBHOOK)));
  }

  /** How many entries a queue holds now (strongly consistent). */
  async function queueLength(queue: string): Promise<number> {
    const content = await guard(
      client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: queueContentKey(queue),
          ConsistentRead: true,
          ProjectionExpression: "#ids",
          ExpressionAttributeNames: namesIn("#ids"),
        }),
      ),
    );
    // Stryker disable next-line OptionalChaining: a queue's content item always holds `ids` as a list
    return content.Item?.ids?.L?.length ?? 0;
  }

  /**
   * Enqueues one queue's entries up to its bound and writes the rest as failed (`queue_full`): the
   * append is conditioned on the room read, so a concurrent enqueue that took it makes this look again
   * (a few times: each look again means another enqueue filled the queue further).
   */
  async function enqueueBounded(queue: string, entries: readonly OutboxEntry[]): Promise<void> {
    for (let look = 0; look < BOUNDED_LOOKS; look++) {
      const room = Math.max(0, MAX_ENTRIES_PER_QUEUE - (await queueLength(queue)));
      const failedAt = new Date().toISOString();
      const taken = entries.slice(0, room);
      const writes = [
        // Stryker disable next-line ConditionalExpression,EqualityOperator: an append of nothing to a full queue passes its condition (size <= 100 - 0) and changes nothing
        ...(taken.length > 0 ? enqueueWrites(tableName, queue, taken) : []),
        ...entries.slice(room).map((entry) => failedPut(queueFull(entry, failedAt))),
      ];
      // The append and the first failures together; failures past one transaction's items after it
      // (unconditional Puts: a crash between them leaves the relay to write them again).
      if (!(await transact(writes.slice(0, TRANSACTION_ITEMS)))) continue;
      for (let i = TRANSACTION_ITEMS; i < writes.length; i += TRANSACTION_ITEMS) {
        if (!(await transact(writes.slice(i, i + TRANSACTION_ITEMS)))) {
          throw storageUnavailable(storeName, new Error("The outbox enqueue transaction was cancelled"));
        }
      }
      const first = entries[0];
      // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: a trim with nothing failed deletes nothing (a Query more); `first` is always there
      if (taken.length < entries.length && first) await trimFailed(first.clientId, first.webhookId);
      return;
    }
    throw storageUnavailable(storeName, new Error("The outbox enqueue transaction was cancelled"));
  }

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
      // Stryker disable next-line ConditionalExpression: a single-item write is never cancelled (attemptWrite gives it ok, condition or a throw)
      if (taken.kind === "condition") return null;
      throw storageUnavailable(storeName, taken.error);
    }
    const content = await guard(
      client.send(
        new GetItemCommand({ TableName: tableName, Key: queueContentKey(queue), ConsistentRead: true }),
      ),
    );
    // Stryker disable next-line OptionalChaining: a queue's two items are written and removed together (transactions), with both lists
    const head = content.Item?.entries?.L?.[0]?.S;
    if (head === undefined) {
      await dropIfEmpty(queue);
      return null;
    }
    return JSON.parse(head) as OutboxEntry;
  }

  return {
    name: "dynamodb",
    ...webhookRegistry(table),
    async enqueue(entries) {
      const queues = [...byQueue(entries)];
      // Atomic up to 50 queues (one transaction); a larger fan-out is written in several.
      for (let i = 0; i < queues.length; i += QUEUES_PER_TRANSACTION) {
        const chunk = queues.slice(i, i + QUEUES_PER_TRANSACTION);
        const fits = chunk.every(([, list]) => list.length <= MAX_ENTRIES_PER_QUEUE);
        if (fits && (await transact(chunk.flatMap(([queue, list]) => enqueueWrites(tableName, queue, list)))))
          continue;
        // A queue without room for its entries cancelled the transaction (its append's condition):
        // each queue of the chunk on its own, its overflow failed.
        for (const [queue, list] of chunk) await enqueueBounded(queue, list);
      }
    },
    async claim(owner, now, leaseMs, limit) {
      const due = await query(outboxIndexPartition, {
        filter: "#due <= :now",
        values: { ":now": num(now) },
        // Stryker disable next-line StringLiteral: the projection only makes the read smaller
        projection: "#sk",
      });
      // Stryker disable next-line OptionalChaining,StringLiteral: `sk` is a key attribute, in every item
      const queues = due.slice(0, limit).map((item) => (item.sk?.S ?? "").slice("queue#".length));
      const heads: OutboxEntry[] = [];
      // A few at a time: each is a conditional write and a read, and a burst of sockets is what a
      // loaded table (or DynamoDB Local) times out on.
      // Stryker disable next-line EqualityOperator: one more turn claims an empty slice, nothing
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
      if (settlement.outcome === "failed") {
        writes.push(failedPut({ ...attempted, lastError: settlement.error, failedAt: settlement.failedAt }));
      }
      if (!(await transact(writes))) return false;
      await dropIfEmpty(entry.queue);
      // Stryker disable next-line ConditionalExpression: after a delivery or a retry a trim finds nothing past the bound (a Query more)
      if (settlement.outcome === "failed") await trimFailed(entry.clientId, entry.webhookId);
      return true;
    },
    async listFailed(clientId, webhookId, limit) {
      const items = await query(failedPartition(clientId, webhookId), { forward: false, limit });
      return items.map((item) => parseData<OutboxEntry>(item));
    },
  } satisfies EventOutbox;
}
