import {
  DeleteTableCommand,
  ProvisionedThroughputExceededException,
  ThrottlingException,
} from "@aws-sdk/client-dynamodb";
import { makeRecord } from "@credkit/storage-test-suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbStore } from "../src/index.js";
import { fastRetries } from "./fast-retries.js";
import { localClient, randomTableName } from "./local-client.js";
import { failAttempts, logRequests } from "./request-log.js";

const throttled = () =>
  new ThrottlingException({ message: "Rate of requests exceeds the allowed throughput", $metadata: {} });
const overProvisioned = () =>
  new ProvisionedThroughputExceededException({
    message: "The level of configured provisioned throughput for the table was exceeded",
    $metadata: {},
  });

describe("throttling", () => {
  const setupClient = localClient();
  const tableName = randomTableName();
  const record = makeRecord();

  beforeAll(async () => {
    await createCredkitTable(setupClient, tableName);
    await dynamoDbStore({ client: setupClient, tableName }).create(record);
  });
  afterAll(async () => {
    await setupClient.send(new DeleteTableCommand({ TableName: tableName }));
    setupClient.destroy();
  });

  function throttledStore(
    failures: number,
    makeError: () => Error,
    config: Parameters<typeof localClient>[0],
  ) {
    const client = localClient(config);
    const log = logRequests(client);
    failAttempts(client, failures, makeError);
    return { store: dynamoDbStore({ client, tableName }), log, client };
  }

  it("is retried by the SDK's standard strategy until the request succeeds", async () => {
    // The default strategy, as production runs it: one throttled attempt, then a jittered wait (< 1 s).
    const { store, log, client } = throttledStore(1, throttled, { maxAttempts: 2 });
    expect(await store.get(record.clientId, record.credentialId)).toStrictEqual(record);
    expect(log).toStrictEqual(["GetItem", "GetItem"]);
    client.destroy();
  });

  it("is retried up to maxAttempts for both throttling errors", async () => {
    for (const makeError of [throttled, overProvisioned]) {
      const { store, log, client } = throttledStore(3, makeError, {
        maxAttempts: 4,
        retryStrategy: fastRetries(4),
      });
      expect(await store.findByLookup(record.clientId, record.lookupHash ?? "")).toStrictEqual(record);
      expect(log).toHaveLength(4);
      client.destroy();
    }
  });

  it("surfaces as STORAGE_UNAVAILABLE with the SDK error as cause when every attempt is throttled", async () => {
    for (const makeError of [throttled, overProvisioned]) {
      const { store, log, client } = throttledStore(1_000, makeError, {
        maxAttempts: 3,
        retryStrategy: fastRetries(3),
      });
      const failure = store.create(makeRecord());
      await expect(failure).rejects.toMatchObject({
        name: "CredkitError",
        code: "STORAGE_UNAVAILABLE",
        retryAfterSeconds: 1,
        cause: { name: makeError().name, $metadata: { attempts: 3 } },
      });
      expect(log).toStrictEqual(["TransactWriteItems", "TransactWriteItems", "TransactWriteItems"]);
      client.destroy();
    }
  });

  it("is not confused with a refused condition: a conflict is answered without retries", async () => {
    const { store, log, client } = throttledStore(0, throttled, {
      maxAttempts: 3,
      retryStrategy: fastRetries(3),
    });
    await expect(store.create(record)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(log).toStrictEqual(["TransactWriteItems"]);
    client.destroy();
  });
});

describe("an unreachable endpoint", () => {
  it("surfaces as STORAGE_UNAVAILABLE after the SDK's retries", async () => {
    // Port 9 (discard) is closed on loopback: connection refused, which the SDK treats as transient.
    const client = localClient({
      endpoint: "http://127.0.0.1:9",
      maxAttempts: 2,
      retryStrategy: fastRetries(2),
    });
    const log = logRequests(client);
    const store = dynamoDbStore({ client, tableName: "credkit-unreachable" });
    await expect(store.ping()).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    await expect(store.get("c", "id")).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    expect(log).toStrictEqual(["GetItem", "GetItem", "GetItem", "GetItem"]);
    client.destroy();
  });
});
