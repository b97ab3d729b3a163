// @credkit/storage-dynamodb vs raw SDK calls on a DynamoDB Local this bench starts itself.
// Run: pnpm bench dynamodb (or node --conditions=credkit-source --import tsx bench/dynamodb-store.ts)
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { DeleteTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { StoredCredential } from "@credkit/core";
import {
  createCredkitTable,
  dynamoDbStore,
  lookupPrefix,
  recommendedClientConfig,
  recordPrefix,
} from "@credkit/storage-dynamodb";
import { benchRecord, startScriptServer } from "./fixtures.js";
import { compareWithRaw, type StoreSubject } from "./measure.js";
import { printTable, type Row } from "./table.js";

const record = (withLookup: boolean) => benchRecord("bench-client", withLookup);

/** Options of {@link benchDynamoDbStore}. */
export interface DynamoDbBenchOptions {
  /** An endpoint to use instead of starting DynamoDB Local. Default: `CREDKIT_TEST_DYNAMODB_ENDPOINT`, else start one. */
  endpoint?: string;
  /** Length of one measured round in ms; each subject runs `rounds` rounds, the median counts. Default 600. */
  roundMs?: number;
  /** Rounds per subject, alternating store and raw so JVM warm-up and noise hit both alike. Default 3. */
  rounds?: number;
  /** Requests in flight in the concurrent runs. Default 50. */
  concurrency?: number;
}

/**
 * credkit's DynamoDB store against the bare SDK call on the same table: `get` vs a consistent GetItem,
 * `findByLookup` vs a consistent GetItem of the lookup item, `create` vs an unconditional PutItem of
 * the record JSON; sequential and with `concurrency` calls in flight. Prints a table, returns its rows.
 */
export async function benchDynamoDbStore(options: DynamoDbBenchOptions = {}): Promise<Row[]> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const roundMs = options.roundMs ?? 600;
  const rounds = options.rounds ?? 3;
  const concurrency = options.concurrency ?? 50;
  const given = options.endpoint ?? process.env.CREDKIT_TEST_DYNAMODB_ENDPOINT;
  const local = given ? undefined : await startScriptServer("dynamodb-local.sh", "start");
  const endpoint = given ?? local?.address ?? "";
  const client = new DynamoDBClient({
    ...recommendedClientConfig,
    // A JVM on a shared 2-core box can take longer than AWS to accept a connection: measure, don't time out.
    requestHandler: {
      ...recommendedClientConfig.requestHandler,
      connectionTimeout: 10_000,
      requestTimeout: 10_000,
    },
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const tableName = `credkit-bench-${randomUUID()}`;
  try {
    await createCredkitTable(client, tableName);
    const store = dynamoDbStore({ client, tableName });
    const seeded = Array.from({ length: 200 }, (_, i) => record(i % 2 === 0));
    for (let i = 0; i < seeded.length; i += concurrency) {
      await Promise.all(seeded.slice(i, i + concurrency).map((r) => store.create(r)));
    }
    const withLookup = seeded.filter((r) => r.lookupHash !== null);
    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)] as T;
    const key = (sk: string) => ({ pk: { S: "bench-client" }, sk: { S: sk } });
    const rawGet = (sk: string) =>
      client.send(new GetItemCommand({ TableName: tableName, Key: key(sk), ConsistentRead: true }));
    const rawPut = (r: StoredCredential) =>
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...key(`${recordPrefix}${r.credentialId}`), data: { S: JSON.stringify(r) } },
        }),
      );

    const subjects: StoreSubject[] = [
      {
        bench: "get",
        raw: ["raw GetItem (consistent)", () => rawGet(`${recordPrefix}${pick(seeded).credentialId}`)],
        store: ["store.get", () => store.get("bench-client", pick(seeded).credentialId)],
      },
      {
        bench: "findByLookup",
        raw: ["raw GetItem (consistent)", () => rawGet(`${lookupPrefix}${pick(withLookup).lookupHash}`)],
        store: [
          "store.findByLookup",
          () => store.findByLookup("bench-client", pick(withLookup).lookupHash ?? ""),
        ],
      },
      {
        bench: "create, no lookup hash",
        raw: ["raw PutItem", () => rawPut(record(false))],
        store: ["store.create (conditional PutItem)", () => store.create(record(false))],
      },
      {
        bench: "create, lookup hash",
        raw: ["raw PutItem", () => rawPut(record(true))],
        store: ["store.create (TransactWriteItems)", () => store.create(record(true))],
      },
    ];

    // DynamoDB Local runs on a JVM: compareWithRaw's warm-up lets its JIT settle before measuring.
    const rows = await compareWithRaw(subjects, { rounds, roundMs, concurrency });
    printTable(`@credkit/storage-dynamodb vs raw SDK calls on DynamoDB Local (${endpoint})`, rows);
    return rows;
  } finally {
    // Best effort: a failed bench must still stop the server, and an in-memory table dies with it.
    await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    client.destroy();
    await local?.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchDynamoDbStore();
}
