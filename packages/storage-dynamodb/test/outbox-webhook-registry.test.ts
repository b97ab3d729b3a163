import { randomUUID } from "node:crypto";
import { DeleteTableCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { MAX_WEBHOOKS_PER_CLIENT, type StoredWebhook } from "@credkit/core";
import { makeWebhook } from "@credkit/storage-test-suite";
import { afterAll, expect, it } from "vitest";
import { createCredkitTable, dynamoDbEventOutbox } from "../src/index.js";
import { localClient, randomTableName } from "./local-client.js";

const client = localClient();
const tableName = randomTableName();
afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  client.destroy();
});

it("counts the webhooks a client had before its registry item existed (written by an earlier version)", async () => {
  await createCredkitTable(client, tableName);
  const outbox = dynamoDbEventOutbox({ client, tableName });
  const clientId = `c-${randomUUID()}`;
  // As the previous version stored them: webhook items only, no registry item.
  const legacy = Array.from({ length: MAX_WEBHOOKS_PER_CLIENT }, () => makeWebhook(clientId));
  for (const hook of legacy) {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: `webhook#${clientId}` },
          sk: { S: `webhook#${hook.webhookId}` },
          data: { S: JSON.stringify(hook) },
        },
      }),
    );
  }
  await expect(outbox.saveWebhook(makeWebhook(clientId))).rejects.toMatchObject({ code: "CONFLICT" });
  expect(await outbox.deleteWebhook(clientId, (legacy[0] as StoredWebhook).webhookId)).toBe(true);
  // One place is free, and only one, however many saves race for it.
  const results = await Promise.allSettled([1, 2, 3].map(() => outbox.saveWebhook(makeWebhook(clientId))));
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  expect(await outbox.listWebhooks(clientId)).toHaveLength(MAX_WEBHOOKS_PER_CLIENT);
});
