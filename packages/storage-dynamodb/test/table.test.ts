import {
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { localClient, randomTableName } from "./local-client.js";
import { logRequests } from "./request-log.js";

describe("createCredkitTable", () => {
  it("creates pk/sk string keys, on-demand billing and TTL on `ttl`, and is a no-op the second time", async () => {
    const client = localClient();
    const tableName = randomTableName();
    try {
      await createCredkitTable(client, tableName);
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.TableStatus).toBe("ACTIVE");
      expect(Table?.KeySchema).toStrictEqual([
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ]);
      expect(Table?.AttributeDefinitions).toEqual(
        expect.arrayContaining([
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ]),
      );
      expect(Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: "ttl", TimeToLiveStatus: "ENABLED" });

      const log = logRequests(client);
      await createCredkitTable(client, tableName);
      expect(log).toStrictEqual(["DescribeTable"]);
      await expect(dynamoDbStore({ client, tableName }).ping()).resolves.toBeUndefined();
    } finally {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    }
  });

  it("lets concurrent callers race to create the same table", async () => {
    const client = localClient();
    const tableName = randomTableName();
    try {
      await Promise.all([createCredkitTable(client, tableName), createCredkitTable(client, tableName)]);
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe("ENABLED");
    } finally {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    }
  });

  it("creates a provisioned table with the capacity given, or 5 and 5", async () => {
    const client = localClient();
    const given = randomTableName();
    const defaulted = randomTableName();
    try {
      await createCredkitTable(client, given, {
        billingMode: "PROVISIONED",
        provisionedThroughput: { readCapacityUnits: 7, writeCapacityUnits: 3 },
      });
      await createCredkitTable(client, defaulted, { billingMode: "PROVISIONED" });
      for (const [TableName, read, write] of [
        [given, 7, 3],
        [defaulted, 5, 5],
      ] as const) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName }));
        expect(Table?.BillingModeSummary?.BillingMode ?? "PROVISIONED").toBe("PROVISIONED");
        expect(Table?.ProvisionedThroughput).toMatchObject({
          ReadCapacityUnits: read,
          WriteCapacityUnits: write,
        });
        const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName }));
        expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe("ENABLED");
      }
    } finally {
      for (const TableName of [given, defaulted]) await client.send(new DeleteTableCommand({ TableName }));
      client.destroy();
    }
  });

  it("is STORAGE_UNAVAILABLE with the SDK error as cause when DynamoDB cannot be reached", async () => {
    const client = localClient({ endpoint: "http://127.0.0.1:9", maxAttempts: 1 });
    await expect(createCredkitTable(client, randomTableName())).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      cause: expect.objectContaining({ name: expect.any(String) }),
    });
    client.destroy();
  });

  it("makes a ping on a missing table fail as STORAGE_UNAVAILABLE", async () => {
    const client = localClient();
    await expect(dynamoDbStore({ client, tableName: randomTableName() }).ping()).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      cause: { name: "ResourceNotFoundException" },
    });
    client.destroy();
  });

  it("refuses a table name DynamoDB would reject, and takes one of 3 characters", () => {
    const client = localClient();
    expect(() => dynamoDbStore({ client, tableName: "ab" })).toThrow(
      expect.objectContaining({ code: "CONFIGURATION_ERROR" }),
    );
    expect(() => dynamoDbStore({ client, tableName: "abc" })).not.toThrow();
    client.destroy();
  });
});
