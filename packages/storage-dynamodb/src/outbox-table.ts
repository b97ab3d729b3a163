import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
  ScanCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { storageUnavailable } from "@credkit/core";
import { storeName } from "./context.js";
import { namesIn, str, valuesIn } from "./expression.js";
import type { ItemKey } from "./keys.js";
import { attemptWrite, guard } from "./sdk-errors.js";

type Item = Record<string, AttributeValue>;
type Page = { Items?: Item[] | undefined; LastEvaluatedKey?: Item | undefined };

const BATCH_WRITE_MAX = 25;

/** Options of {@link OutboxTable.query}. */
export interface QueryOptions {
  /** Sort-key order (default) or reversed. */
  forward?: boolean;
  /** At most this many items. */
  limit?: number;
  projection?: string;
  filter?: string;
  values?: Record<string, AttributeValue>;
}

/** The few requests the outbox and its webhook registry make, on the credkit table. */
export interface OutboxTable {
  client: DynamoDBClient;
  tableName: string;
  /** One transaction: true when written, false when a condition cancelled it. */
  transact(items: TransactWriteItem[]): Promise<boolean>;
  /** The items of a partition (strongly consistent), page after page. */
  query(pk: string, options?: QueryOptions): Promise<Item[]>;
  /** The items of the whole table that `filter` keeps (strongly consistent). */
  scan(filter: string, values: Record<string, AttributeValue>): Promise<Item[]>;
  /** Deletes items by key, 25 a request, until none is left unprocessed. */
  deleteKeys(keys: ItemKey[]): Promise<void>;
}

/** Every page of a Query or Scan, until none is left or `limit` items were read. */
async function collect(read: (start: Item | undefined, read: number) => Promise<Page>, limit?: number) {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await guard(read(start, items.length));
    // Stryker disable next-line ArrayDeclaration: every Query and Scan answer has `Items`
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined && (limit === undefined || items.length < limit));
  return items;
}

/** The {@link OutboxTable} of one table. */
export function outboxTable(client: DynamoDBClient, tableName: string): OutboxTable {
  return {
    client,
    tableName,
    async transact(items) {
      const result = await attemptWrite(client.send(new TransactWriteItemsCommand({ TransactItems: items })));
      if (result.kind === "ok") return true;
      // Stryker disable next-line ConditionalExpression: a transaction is never a single condition (attemptWrite gives it ok, cancelled or a throw)
      if (result.kind === "cancelled") return false;
      throw storageUnavailable(storeName, result.error);
    },
    query(pk, options = {}) {
      const keyCondition = "#pk = :pk";
      const values = { ":pk": str(pk), ...options.values };
      return collect(
        (start, read) =>
          client.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: keyCondition,
              ...(options.filter ? { FilterExpression: options.filter } : {}),
              ...(options.projection ? { ProjectionExpression: options.projection } : {}),
              ExpressionAttributeNames: namesIn(keyCondition, options.filter, options.projection),
              ExpressionAttributeValues: valuesIn(values, keyCondition, options.filter),
              ConsistentRead: true,
              // Left out when undefined: DynamoDB's default order, ascending.
              ScanIndexForward: options.forward,
              ...(options.limit ? { Limit: options.limit - read } : {}),
              ExclusiveStartKey: start,
            }),
          ),
        options.limit,
      );
    },
    scan(filter, values) {
      return collect((start) =>
        client.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: filter,
            ExpressionAttributeNames: namesIn(filter),
            ExpressionAttributeValues: valuesIn(values, filter),
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
    },
    async deleteKeys(keys) {
      // Stryker disable next-line EqualityOperator: one more turn has no request to send (the while below)
      for (let i = 0; i < keys.length; i += BATCH_WRITE_MAX) {
        let requests = keys.slice(i, i + BATCH_WRITE_MAX).map((Key) => ({ DeleteRequest: { Key } }));
        while (requests.length > 0) {
          const output = await guard(
            client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } })),
          );
          requests = (output.UnprocessedItems?.[tableName] ?? []) as typeof requests;
        }
      }
    },
  };
}

/** The keys of items read with their `pk` and `sk`. */
export function keysOf(items: Item[]): ItemKey[] {
  // Stryker disable next-line OptionalChaining,StringLiteral: `pk` and `sk` are key attributes, in every item
  return items.map((item) => ({ pk: { S: item.pk?.S ?? "" }, sk: { S: item.sk?.S ?? "" } }));
}

/** The JSON document an item keeps in `data`. */
export function parseData<T>(item: Item): T {
  return JSON.parse(item.data?.S ?? "null") as T;
}
