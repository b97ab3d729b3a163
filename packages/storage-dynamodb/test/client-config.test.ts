import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient, type DynamoDBClientConfig, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultMaxRaceRetries, recommendedClientConfig } from "../src/config.js";
import { sharedStateClientConfig } from "../src/index.js";
import { sharedContext } from "../src/shared-config.js";

// An endpoint that answers every request with DynamoDB's transient 500, counting the attempts a client
// makes: what the SDK does with the settings credkit publishes.
let server: Server;
let endpoint: string;
let attempts = 0;
beforeAll(async () => {
  server = createServer((_req, res) => {
    attempts++;
    res
      .writeHead(500, { "content-type": "application/x-amz-json-1.0" })
      .end('{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"busy"}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  attempts = 0;
});

async function attemptsOf(config: DynamoDBClientConfig): Promise<number> {
  const client = new DynamoDBClient({
    ...config,
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  try {
    const read = client.send(new GetItemCommand({ TableName: "t", Key: { pk: { S: "a" }, sk: { S: "b" } } }));
    await expect(read).rejects.toMatchObject({ name: "InternalServerError" });
  } finally {
    client.destroy();
  }
  return attempts;
}

describe("the published client settings", () => {
  it("let the store's client retry a transient failure: 4 attempts in all", async () => {
    expect(await attemptsOf(recommendedClientConfig)).toBe(4);
  });

  it("send each shared-state write once: an increment whose answer was lost must not count twice", async () => {
    expect(await attemptsOf(sharedStateClientConfig)).toBe(1);
  });

  it("are what the README documents", () => {
    expect(recommendedClientConfig).toStrictEqual({
      maxAttempts: 4,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
    });
    expect(sharedStateClientConfig).toStrictEqual({
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
    });
    expect(defaultMaxRaceRetries).toBe(5);
  });
});

describe("the shared state's configuration", () => {
  const client = {} as DynamoDBClient;

  it("refuses a table name under 3 characters as CONFIGURATION_ERROR", () => {
    expect(() => sharedContext({ client, tableName: "ab" })).toThrow(
      expect.objectContaining({ code: "CONFIGURATION_ERROR" }),
    );
    expect(() => sharedContext({ client, tableName: "" })).toThrow(
      expect.objectContaining({ code: "CONFIGURATION_ERROR" }),
    );
  });

  it("takes the client, the table and the clock as given, Date.now by default", () => {
    const now = () => 42;
    expect(sharedContext({ client, tableName: "abc", now })).toStrictEqual({ client, tableName: "abc", now });
    expect(sharedContext({ client, tableName: "abc" }).now).toBe(Date.now);
  });
});
