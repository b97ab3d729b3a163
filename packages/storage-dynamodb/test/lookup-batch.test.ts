import { randomBytes } from "node:crypto";
import {
  type BatchGetItemCommandOutput,
  DeleteTableCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { StoredCredential } from "@credkit/core";
import { makeRecord } from "@credkit/storage-test-suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { localClient, randomTableName } from "./local-client.js";

// DynamoDB answers part of a BatchGetItem when a partition is throttled, listing the rest under
// UnprocessedKeys; DynamoDB Local never does, so the fault is injected into real answers: the first
// `times` answers hand back `keep` keys and leave the others unprocessed. Taking a partial answer as
// complete would read present credentials as misses (a valid key refused, silently).
function leaveUnprocessed(client: DynamoDBClient, times: number, keep: number): number[] {
  const asked: number[] = [];
  let left = times;
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { RequestItems?: Record<string, { Keys?: unknown[] }> };
      const [table, request] = Object.entries(input.RequestItems ?? {})[0] ?? [];
      asked.push(request?.Keys?.length ?? 0);
      const result = await next(args);
      if (table === undefined || request?.Keys === undefined || left <= 0) return result;
      left--;
      const output = result.output as BatchGetItemCommandOutput;
      const answered = output.Responses?.[table] ?? [];
      const kept = new Set(request.Keys.slice(0, keep).map((key) => JSON.stringify(key)));
      const keyOf = (item: Record<string, unknown>) => JSON.stringify({ pk: item.pk, sk: item.sk });
      output.Responses = { [table]: answered.filter((item) => kept.has(keyOf(item))) };
      output.UnprocessedKeys = { [table]: { Keys: request.Keys.slice(keep) as never, ConsistentRead: true } };
      return result;
    },
    { step: "initialize", priority: "low", name: "credkitLeaveUnprocessed" },
  );
  return asked;
}

const randomLookupHash = () => randomBytes(32).toString("base64url");

describe("findByLookups on DynamoDB", () => {
  const setupClient = localClient();
  const tableName = randomTableName();
  const clientId = `acme-${randomLookupHash().slice(0, 8)}`;
  const records: StoredCredential[] = Array.from({ length: 4 }, () => makeRecord({ clientId }));
  const hashes = records.map((record) => record.lookupHash ?? "");

  beforeAll(async () => {
    await createCredkitTable(setupClient, tableName);
    const store = dynamoDbStore({ client: setupClient, tableName });
    for (const record of records) await store.create(record);
  });
  afterAll(async () => {
    await setupClient.send(new DeleteTableCommand({ TableName: tableName }));
    setupClient.destroy();
  });

  it("asks again for the keys DynamoDB left unprocessed, and only those", async () => {
    const client = localClient();
    const asked = leaveUnprocessed(client, 2, 1);
    const store = dynamoDbStore({ client, tableName });
    expect(await store.findByLookups(clientId, [...hashes, randomLookupHash()])).toStrictEqual([
      ...records,
      null,
    ]);
    // 5 keys, 1 answered; the 4 left, 1 answered; the last 3, all answered.
    expect(asked).toStrictEqual([5, 4, 3]);
    client.destroy();
  });

  it("is STORAGE_UNAVAILABLE when keys stay unprocessed, never a silent miss", async () => {
    const client = localClient();
    const asked = leaveUnprocessed(client, 100, 0);
    const store = dynamoDbStore({ client, tableName });
    await expect(store.findByLookups(clientId, hashes)).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
    });
    expect(asked).toStrictEqual([4, 4, 4, 4, 4, 4]);
    client.destroy();
  });
});
