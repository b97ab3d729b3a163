import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { outboxConformanceSuite } from "@credkit/storage-test-suite";
import { afterAll } from "vitest";
import { createCredkitTable, dynamoDbEventOutbox } from "../src/index.js";
import { localClient, randomTableName } from "./local-client.js";

const client = localClient();
let tables: string[] = [];
// A fresh table per outbox: the queue index is one partition per table, so no test sees another's queues.
const fresh = async () => {
  const tableName = randomTableName();
  tables.push(tableName);
  await createCredkitTable(client, tableName);
  return dynamoDbEventOutbox({ client, tableName });
};
afterAll(async () => {
  for (const TableName of tables) await client.send(new DeleteTableCommand({ TableName }));
  tables = [];
  client.destroy();
});

outboxConformanceSuite("dynamodb (DynamoDB Local)", { makeOutbox: fresh });
