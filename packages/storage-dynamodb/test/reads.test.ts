import { DeleteTableCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { makeRecord } from "@credkit/storage-test-suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { lookupItem } from "../src/item-codec.js";
import { lookupKey } from "../src/keys.js";
import { localClient, randomTableName } from "./local-client.js";

// What the reads promise that DynamoDB Local cannot show by itself: it is always strongly consistent,
// and it holds only the lookup items the store wrote. So the requests are inspected, and foreign lookup
// items are planted.
describe("dynamodb reads", () => {
  const client = localClient();
  const tableName = randomTableName();
  const store = dynamoDbStore({ client, tableName });
  // The ConsistentRead flag of every read request, by operation (BatchGetItem: per table).
  const consistency: [string, unknown][] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        ConsistentRead?: boolean;
        RequestItems?: Record<string, { ConsistentRead?: boolean }>;
      };
      const flag = input.RequestItems ? input.RequestItems[tableName]?.ConsistentRead : input.ConsistentRead;
      consistency.push([String(context.commandName).replace(/Command$/, ""), flag]);
      return next(args);
    },
    { step: "initialize", name: "credkitConsistencyLog" },
  );

  beforeAll(() => createCredkitTable(client, tableName));
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    client.destroy();
  });

  it("asks for strongly consistent reads on get, findByLookup(s), list and scan", async () => {
    // On AWS an eventually consistent read can miss a credential created a moment ago (a valid key
    // refused) or return one just deleted (a revoked key accepted).
    const record = makeRecord();
    await store.create(record);
    consistency.length = 0;
    await store.get(record.clientId, record.credentialId);
    await store.findByLookup(record.clientId, record.lookupHash ?? "");
    await store.findByLookups(record.clientId, [record.lookupHash ?? ""]);
    await store.list(record.clientId, { limit: 10 });
    await store.scan({ limit: 10 });
    expect(consistency).toEqual([
      ["GetItem", true],
      ["GetItem", true],
      ["BatchGetItem", true],
      ["Query", true],
      ["Scan", true],
    ]);
  });

  it("finds nothing through a lookup item that holds another client's or another hash's record", async () => {
    // Only a corrupted or hand-edited table holds such items; the store must not hand out a record
    // (and its secret) under a client or hash it does not belong to.
    const { clientId } = makeRecord();
    // Fresh random hashes: one a record of another client holds, one no record holds.
    const plantedHashes = [makeRecord().lookupHash ?? "", makeRecord().lookupHash ?? ""];
    const foreign = makeRecord({ lookupHash: plantedHashes[0] ?? "" });
    const otherHash = makeRecord({ clientId });
    const planted = [foreign, otherHash].map((record, i) => ({
      ...lookupItem({ ...record, lookupHash: record.lookupHash ?? "" }),
      ...lookupKey(clientId, plantedHashes[i] ?? ""),
    }));
    for (const Item of planted) await client.send(new PutItemCommand({ TableName: tableName, Item }));
    for (const hash of plantedHashes) expect(await store.findByLookup(clientId, hash)).toBeNull();
    expect(await store.findByLookups(clientId, plantedHashes)).toEqual([null, null]);
  });
});
