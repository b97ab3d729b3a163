import {
  GetItemCommand,
  PutItemCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CredkitError,
  type EventOutbox,
  MAX_WEBHOOKS_PER_CLIENT,
  type StoredWebhook,
  storageUnavailable,
  webhookLimitReached,
} from "@credkit/core";
import { storeName } from "./context.js";
import { condition, num, str } from "./expression.js";
import { failedPartitionPrefix, type ItemKey, webhookPartitionPrefix } from "./keys.js";
import { update } from "./outbox-queues.js";
import { keysOf, type OutboxTable, parseData } from "./outbox-table.js";
import { attemptWrite, guard, reasonCode } from "./sdk-errors.js";

/** The partition of a webhook's failed deliveries. */
export const failedPartition = (clientId: string, webhookId: string) =>
  `${failedPartitionPrefix}${clientId}/${webhookId}`;

const webhookKey = (clientId: string, webhookId: string): ItemKey => ({
  pk: { S: `${webhookPartitionPrefix}${clientId}` },
  sk: { S: `${webhookPartitionPrefix}${webhookId}` },
});

/**
 * A client's registry item, in its webhooks' partition: `ids`, the set of its webhooks' ids, is what a
 * save counts and adds to in the same transaction as the webhook's Put (a set: adding or removing one
 * id twice changes nothing).
 */
const registryKey = (clientId: string): ItemKey => ({
  pk: { S: `${webhookPartitionPrefix}${clientId}` },
  sk: { S: "registry" },
});

// Transactions DynamoDB cancels because another one held the registry at the same time, tried again.
const RACE_ATTEMPTS = 5;

type WebhookRegistry = Pick<
  EventOutbox,
  "saveWebhook" | "listWebhooks" | "getWebhook" | "listAllWebhooks" | "replaceWebhookSecret" | "deleteWebhook"
>;

/**
 * The webhook registry half of the DynamoDB outbox: one item per webhook,
 * `{pk: webhook#<clientId>, sk: webhook#<webhookId>, data}` (the signing secret inside is sealed), and
 * one registry item per client, `{pk: webhook#<clientId>, sk: registry, ids}`, that bounds how many it has.
 */
export function webhookRegistry(table: OutboxTable): WebhookRegistry {
  const { client, tableName } = table;
  const read = async (key: ItemKey) =>
    (await guard(client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))))
      .Item;
  /** A client's webhook items (not its registry item: a key attribute, so not a filter's business). */
  const webhookItems = async (clientId: string) =>
    (await table.query(`${webhookPartitionPrefix}${clientId}`)).filter((item) =>
      // Stryker disable next-line OptionalChaining: `sk` is a key attribute, a string in every item
      item.sk?.S?.startsWith(webhookPartitionPrefix),
    );
  /** One transaction: ok, or the cancellation code of each item, or STORAGE_UNAVAILABLE. */
  const transactCodes = async (items: TransactWriteItem[]): Promise<string[] | "ok"> => {
    const result = await attemptWrite(client.send(new TransactWriteItemsCommand({ TransactItems: items })));
    if (result.kind === "ok") return "ok";
    // Stryker disable next-line ConditionalExpression: a transaction is never a single condition (attemptWrite gives it ok, cancelled or a throw)
    if (result.kind === "cancelled") return items.map((_, i) => reasonCode(result.reasons, i));
    throw storageUnavailable(storeName, result.error);
  };
  const raced = () => storageUnavailable(storeName, new Error("The webhook registry stayed contended"));
  return {
    async saveWebhook(webhook) {
      const { clientId, webhookId } = webhook;
      for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
        let ids = [webhookId];
        // A client whose webhooks predate its registry item has no `ids` yet: they are taken from its
        // webhook items, once (a save racing this one adds to the set this one creates).
        if (!(await read(registryKey(clientId)))?.ids) {
          const listed = (await webhookItems(clientId)).map(
            (item) => parseData<StoredWebhook>(item).webhookId,
          );
          if (listed.length >= MAX_WEBHOOKS_PER_CLIENT) throw webhookLimitReached(clientId);
          ids = [...new Set([...listed, webhookId])];
        }
        const codes = await transactCodes([
          update(
            tableName,
            registryKey(clientId),
            "ADD #ids :ids",
            { ":ids": { SS: ids }, ":max": num(MAX_WEBHOOKS_PER_CLIENT) },
            "attribute_not_exists(#ids) OR size(#ids) < :max",
          ),
          {
            Put: {
              TableName: tableName,
              Item: { ...webhookKey(clientId, webhookId), data: str(JSON.stringify(webhook)) },
              ...condition("attribute_not_exists(#pk)", {}),
            },
          },
        ]);
        if (codes === "ok") return;
        if (codes[1] === "ConditionalCheckFailed")
          throw new CredkitError("CONFLICT", `Webhook "${webhookId}" exists`);
        if (codes[0] === "ConditionalCheckFailed") throw webhookLimitReached(clientId);
      }
      throw raced();
    },
    async listWebhooks(clientId) {
      return (await webhookItems(clientId))
        .map((item) => parseData<StoredWebhook>(item))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.webhookId.localeCompare(b.webhookId));
    },
    async getWebhook(clientId, webhookId) {
      const item = await read(webhookKey(clientId, webhookId));
      return item ? parseData<StoredWebhook>(item) : null;
    },
    async listAllWebhooks() {
      // A table scan: the rotation job's step, run as rarely as a key rotation.
      const items = await table.scan("begins_with(#pk, :prefix) AND begins_with(#sk, :prefix)", {
        ":prefix": str(webhookPartitionPrefix),
      });
      return items.map((item) => parseData<StoredWebhook>(item));
    },
    async replaceWebhookSecret(clientId, webhookId, expectedSecret, secret) {
      const key = webhookKey(clientId, webhookId);
      // Stryker disable next-line OptionalChaining: every webhook item has `data`
      const stored = (await read(key))?.data?.S;
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
      // Stryker disable next-line ConditionalExpression: a single-item write is never cancelled (attemptWrite gives it ok, condition or a throw)
      if (result.kind === "condition") return false;
      throw storageUnavailable(storeName, result.error);
    },
    async deleteWebhook(clientId, webhookId) {
      for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
        const codes = await transactCodes([
          {
            Delete: {
              TableName: tableName,
              Key: webhookKey(clientId, webhookId),
              ...condition("attribute_exists(#pk)", {}),
            },
          },
          update(tableName, registryKey(clientId), "DELETE #ids :id", { ":id": { SS: [webhookId] } }),
        ]);
        if (codes !== "ok") {
          if (codes[0] === "ConditionalCheckFailed") return false;
          continue;
        }
        // Stryker disable next-line ObjectLiteral,StringLiteral: the projection only makes the read smaller; keys are all it uses
        const failed = await table.query(failedPartition(clientId, webhookId), { projection: "#pk, #sk" });
        await table.deleteKeys(keysOf(failed));
        return true;
      }
      throw raced();
    },
  };
}
