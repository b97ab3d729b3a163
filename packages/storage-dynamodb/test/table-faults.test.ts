import { DeleteTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { createCredkitTable } from "../src/index.js";
import { localClient, randomTableName } from "./local-client.js";
import { failCommand, logRequests } from "./request-log.js";

// createCredkitTable's requests, and the faults DynamoDB Local never makes by itself (a refused step,
// a table that stays CREATING, TTL still ENABLING, a concurrent creator's TTL update), planted in its
// real answers (what a table looks like once created is table.test.ts's).

/**
 * Runs `handle` in place of the client's sending of each `command` (`next` sends it): a fault or an
 * answer DynamoDB Local never gives, planted in real requests.
 */
function around(
  client: DynamoDBClient,
  command: string,
  handle: (
    next: () => Promise<{ output: unknown }>,
    input: Record<string, unknown>,
  ) => Promise<{ output: unknown }>,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== command) return next(args);
      return handle(() => next(args), args.input as Record<string, unknown>) as ReturnType<typeof next>;
    },
    { step: "initialize" },
  );
}

const named = (name: string) => () => Object.assign(new Error("injected"), { name });

describe("createCredkitTable requests and faults", () => {
  it("asks for no capacity on demand, and turns TTL on after reading it off, once", async () => {
    const client = localClient();
    const tableName = randomTableName();
    const inputs: Record<string, unknown>[] = [];
    around(client, "CreateTableCommand", (next, input) => {
      inputs.push(input);
      return next();
    });
    const log = logRequests(client);
    try {
      await createCredkitTable(client, tableName);
      expect(inputs).toHaveLength(1);
      expect(inputs[0]).not.toHaveProperty("ProvisionedThroughput");
      // As sent: DynamoDB Local takes a blank key type as RANGE, DynamoDB refuses it.
      expect(inputs[0]?.KeySchema).toStrictEqual([
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ]);
      expect(log.filter((name) => name.includes("TimeToLive"))).toStrictEqual([
        "DescribeTimeToLive",
        "UpdateTimeToLive",
      ]);
    } finally {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    }
  });

  it("takes TTL being enabled (ENABLING) as on, and a refused UpdateTimeToLive as done when TTL is on after it", async () => {
    const enabling = localClient();
    const refusing = localClient({ maxAttempts: 1 });
    const [first, second] = [randomTableName(), randomTableName()];
    around(enabling, "DescribeTimeToLiveCommand", async (next) => {
      const result = await next();
      (result.output as { TimeToLiveDescription?: object }).TimeToLiveDescription = {
        TimeToLiveStatus: "ENABLING",
      };
      return result;
    });
    const log = logRequests(enabling);
    // Another creator enabled it between this one's read and its update: DynamoDB refuses the second.
    around(refusing, "UpdateTimeToLiveCommand", async (next) => {
      await next();
      throw named("ValidationException")();
    });
    try {
      await createCredkitTable(enabling, first);
      expect(log).not.toContain("UpdateTimeToLive");
      await expect(createCredkitTable(refusing, second)).resolves.toBeUndefined();
    } finally {
      for (const TableName of [first, second]) await enabling.send(new DeleteTableCommand({ TableName }));
      enabling.destroy();
      refusing.destroy();
    }
  });

  it("is STORAGE_UNAVAILABLE with DynamoDB's own error when a step fails: describe, create, wait, TTL", async () => {
    const tables: string[] = [];
    const failing = async (command: string, error: string, wait = 120) => {
      const client = localClient({ maxAttempts: 1 });
      const log = logRequests(client);
      failCommand(client, command, named(error));
      const tableName = randomTableName();
      tables.push(tableName);
      await expect(createCredkitTable(client, tableName, { maxWaitSeconds: wait })).rejects.toMatchObject({
        code: "STORAGE_UNAVAILABLE",
        cause: { name: error },
      });
      client.destroy();
      return log;
    };
    // A refused DescribeTable is no "table missing": nothing is created.
    expect(await failing("DescribeTableCommand", "AccessDeniedException")).toStrictEqual(["DescribeTable"]);
    expect(await failing("CreateTableCommand", "LimitExceededException", 1)).toStrictEqual([
      "DescribeTable",
      "CreateTable",
    ]);
    await failing("UpdateTimeToLiveCommand", "AccessDeniedException");
    // A table that never becomes ACTIVE: the wait ends at maxWaitSeconds.
    const client = localClient();
    const tableName = randomTableName();
    tables.push(tableName);
    around(client, "DescribeTableCommand", async (next) => {
      const result = await next();
      const table = (result.output as { Table?: { TableStatus?: string } }).Table;
      if (table) table.TableStatus = "CREATING";
      return result;
    });
    await expect(createCredkitTable(client, tableName, { maxWaitSeconds: 1 })).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
    });
    client.destroy();
    // Some were never created.
    const cleaner = localClient();
    for (const TableName of tables) {
      await cleaner.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
    }
    cleaner.destroy();
  });
});
