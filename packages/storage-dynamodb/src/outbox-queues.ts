import type { AttributeValue, TransactWriteItem } from "@aws-sdk/client-dynamodb";
import { MAX_ENTRIES_PER_QUEUE, type OutboxEntry } from "@credkit/core";
import { namesIn, num, str, valuesIn } from "./expression.js";
import { type ItemKey, outboxIndexPartition, queuePartitionPrefix } from "./keys.js";

/** The index item of a queue: `{due, owner?, pending}`, in the one `outbox` partition claims read. */
export function queueIndexKey(queue: string): ItemKey {
  return { pk: { S: outboxIndexPartition }, sk: { S: `queue#${queue}` } };
}

/** The content item of a queue: `{entries: [entry JSON...], ids: [deliveryId...]}`, head first. */
export function queueContentKey(queue: string): ItemKey {
  return { pk: { S: `${queuePartitionPrefix}${queue}` }, sk: { S: "queue" } };
}

/** One update of a transaction, with only the names and values its expressions use. */
export function update(
  tableName: string,
  key: ItemKey,
  expression: string,
  values: Record<string, AttributeValue>,
  conditionExpression?: string,
): TransactWriteItem {
  return {
    Update: {
      TableName: tableName,
      Key: key,
      UpdateExpression: expression,
      // Stryker disable next-line ConditionalExpression: the SDK leaves out a ConditionExpression that is undefined
      ...(conditionExpression === undefined ? {} : { ConditionExpression: conditionExpression }),
      ExpressionAttributeNames: namesIn(expression, conditionExpression),
      ExpressionAttributeValues: valuesIn(values, expression, conditionExpression),
    },
  };
}

/**
 * The two writes that append `entries` (all of one queue, in order, at most `MAX_ENTRIES_PER_QUEUE`)
 * at its tail: the content item's lists grow by list_append (DynamoDB applies writes to one item one
 * after another, so the order of the queue is the order its appends were applied, whatever the clocks
 * of the writers), and the index item counts them and becomes due at the first entry's time unless it
 * already was. The append is conditioned on the queue having room for all of them
 * (`MAX_ENTRIES_PER_QUEUE`): a queue past it would outgrow its item, and the write fail every time.
 */
export function enqueueWrites(
  tableName: string,
  queue: string,
  entries: readonly OutboxEntry[],
): TransactWriteItem[] {
  const values = {
    ":entries": { L: entries.map((e) => str(JSON.stringify(e))) },
    ":ids": { L: entries.map((e) => str(e.deliveryId)) },
    ":empty": { L: [] },
    ":n": num(entries.length),
    // Stryker disable next-line OptionalChaining: never called with no entries (enqueueBounded skips an empty append)
    ":at": num(entries[0]?.nextAttemptAt ?? 0),
    ":room": num(MAX_ENTRIES_PER_QUEUE - entries.length),
  };
  return [
    update(
      tableName,
      queueContentKey(queue),
      "SET #entries = list_append(if_not_exists(#entries, :empty), :entries), #ids = list_append(if_not_exists(#ids, :empty), :ids)",
      values,
      "attribute_not_exists(#ids) OR size(#ids) <= :room",
    ),
    update(tableName, queueIndexKey(queue), "SET #due = if_not_exists(#due, :at) ADD #pending :n", values),
  ];
}

/** Groups entries by queue, keeping their order within each queue. */
export function byQueue(entries: readonly OutboxEntry[]): Map<string, OutboxEntry[]> {
  const queues = new Map<string, OutboxEntry[]>();
  for (const entry of entries) {
    const list = queues.get(entry.queue) ?? [];
    list.push(entry);
    queues.set(entry.queue, list);
  }
  return queues;
}
