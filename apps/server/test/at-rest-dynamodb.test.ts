import { randomBytes, randomUUID } from "node:crypto";
import {
  type AttributeValue,
  DynamoDBClient,
  ListTablesCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  atRestEnv,
  expectNothingSecretAtRest,
  startAtRestPeers,
  writeEverySecret,
} from "./support/at-rest.js";
import { dynamoDbLocalEnv, startDynamoDbLocal } from "./support/real-servers.js";
import { killServers, startServer } from "./support/server-process.js";

let dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>;
let peers: Awaited<ReturnType<typeof startAtRestPeers>>;

// DynamoDB Local's JVM can take most of a minute to answer on a loaded machine.
beforeAll(async () => {
  [dynamo, peers] = await Promise.all([startDynamoDbLocal(), startAtRestPeers()]);
}, 180_000);
afterAll(async () => {
  killServers();
  await Promise.all([dynamo?.stop(), peers?.stop()]);
});

/** Every byte of one attribute value, whatever its type (binary ones raw), nested ones included. */
function attributeBytes(value: AttributeValue): Buffer[] {
  if (value.S !== undefined) return [Buffer.from(value.S)];
  if (value.N !== undefined) return [Buffer.from(value.N)];
  if (value.B !== undefined) return [Buffer.from(value.B)];
  if (value.SS !== undefined) return value.SS.map((s) => Buffer.from(s));
  if (value.NS !== undefined) return value.NS.map((n) => Buffer.from(n));
  if (value.BS !== undefined) return value.BS.map((b) => Buffer.from(b));
  if (value.L !== undefined) return value.L.flatMap(attributeBytes);
  if (value.M !== undefined) return itemBytes(value.M);
  if (value.BOOL !== undefined || value.NULL !== undefined) return [];
  throw new Error(`attribute of an unknown type not read: ${Object.keys(value).join(",")}`);
}

function itemBytes(item: Record<string, AttributeValue>): Buffer[] {
  return Object.entries(item).flatMap(([name, value]) => [Buffer.from(name), ...attributeBytes(value)]);
}

/** Every table of the database, every item (all pages), every attribute: the raw bytes at rest. */
async function dumpDynamoDb(): Promise<{ dump: Buffer; tables: string[] }> {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: dynamoDbLocalEnv.AWS_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    const tables = (await client.send(new ListTablesCommand({}))).TableNames ?? [];
    const parts: Buffer[] = [];
    for (const table of tables) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
        );
        for (const item of page.Items ?? [])
          parts.push(...itemBytes(item).flatMap((p) => [p, Buffer.from("\n")]));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    }
    return { dump: Buffer.concat(parts), tables };
  } finally {
    client.destroy();
  }
}

describe("at rest on DynamoDB Local, through the server", () => {
  it("holds no secret of any kind, in clear, encoded or as an unkeyed digest, in any item of any table", async () => {
    const masterKey = randomBytes(32).toString("base64");
    const table = `credkit-atrest-${randomUUID().slice(0, 8)}`;
    const server = await startServer({
      ...dynamoDbLocalEnv,
      ...atRestEnv(masterKey),
      CREDKIT_STORAGE: "dynamodb",
      CREDKIT_DYNAMODB_TABLE: table,
      CREDKIT_DYNAMODB_ENDPOINT: dynamo.endpoint,
      CREDKIT_DYNAMODB_CREATE_TABLE: "true",
    });
    const { secrets, ids } = await writeEverySecret(server.url, peers, masterKey);
    // At rest: nothing writes while the bytes are read.
    expect(await server.stop()).toBe(0);
    const { dump, tables } = await dumpDynamoDb();
    // The server's one table holds credentials, shared state and the outbox alike.
    expect(tables).toEqual([table]);
    expectNothingSecretAtRest(dump, secrets, ids);
  }, 120_000);
});
