import { DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { CredkitError, type EventOutbox, type StoredWebhook, storageUnavailable } from "@credkit/core";
import { storeName } from "./context.js";
import { condition, str } from "./expression.js";
import { failedPartitionPrefix, type ItemKey, webhookPartitionPrefix } from "./keys.js";
import { keysOf, type OutboxTable, parseData } from "./outbox-table.js";
import { attemptWrite, guard } from "./sdk-errors.js";

/** The partition of a webhook's failed deliveries. */
export const failedPartition = (clientId: string, webhookId: string) =>
  `${failedPartitionPrefix}${clientId}/${webhookId}`;

const webhookKey = (clientId: string, webhookId: string): ItemKey => ({
  pk: { S: `${webhookPartitionPrefix}${clientId}` },
  sk: { S: `${webhookPartitionPrefix}${webhookId}` },
});

type WebhookRegistry = Pick<
  EventOutbox,
  "saveWebhook" | "listWebhooks" | "getWebhook" | "listAllWebhooks" | "replaceWebhookSecret" | "deleteWebhook"
>;

/**
 * The webhook registry half of the DynamoDB outbox: one item per webhook,
 * `{pk: webhook#<clientId>, sk: webhook#<webhookId>, data}` (the signing secret inside is sealed).
 */
export function webhookRegistry(table: OutboxTable): WebhookRegistry {
  const { client, tableName } = table;
  const read = async (key: ItemKey) =>
    (await guard(client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))))
      .Item;
  return {
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
      return (await table.query(`${webhookPartitionPrefix}${clientId}`))
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
      const failed = await table.query(failedPartition(clientId, webhookId), { projection: "#pk, #sk" });
      await table.deleteKeys(keysOf(failed));
      return true;
    },
  };
}
