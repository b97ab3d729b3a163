import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { storeConformanceSuite } from "@credkit/storage-test-suite";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { dumpTable, localClient, randomTableName } from "./local-client.js";

const client = localClient();
const tableName = randomTableName();
let table: Promise<void> | undefined;
const processClients: ReturnType<typeof localClient>[] = [];

storeConformanceSuite("dynamodb", {
  async makeStore() {
    // One table for the whole run: every concern shares it, isolated by random client ids.
    table ??= createCredkitTable(client, tableName);
    await table;
    return dynamoDbStore({ client, tableName });
  },
  async makeStoreAt(now) {
    table ??= createCredkitTable(client, tableName);
    await table;
    return dynamoDbStore({ client, tableName, now });
  },
  // Another process's store: a client of its own on the same table.
  async makeSharedStoreAt(now) {
    table ??= createCredkitTable(client, tableName);
    await table;
    const own = localClient();
    processClients.push(own);
    return dynamoDbStore({ client: own, tableName, now });
  },
  // A client of a closed port that tries once: every request fails to connect.
  makeFailingStore: () =>
    dynamoDbStore({
      client: localClient({ endpoint: "http://127.0.0.1:9", maxAttempts: 1 }),
      tableName,
    }),
  readRaw: () => dumpTable(client, tableName),
  async cleanup() {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    client.destroy();
    for (const own of processClients) own.destroy();
  },
});
