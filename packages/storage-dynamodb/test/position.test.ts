import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { dynamoDbStore } from "../src/index.js";
import { positionOf, startKeyOf } from "../src/position.js";
import { logRequests } from "./request-log.js";

describe("positions", () => {
  it("round-trip a LastEvaluatedKey as [pk, sk]", () => {
    const key = { pk: { S: "client-1" }, sk: { S: "cred#us-east-1.AbC-_9" } };
    expect(positionOf(key)).toStrictEqual(["client-1", "cred#us-east-1.AbC-_9"]);
    expect(startKeyOf(positionOf(key) ?? [])).toStrictEqual(key);
  });

  it("keep non-ASCII ids intact", () => {
    const key = { pk: { S: "klient-ü-😀" }, sk: { S: "cred#ö" } };
    expect(startKeyOf(positionOf(key) ?? [])).toStrictEqual(key);
  });

  it("are null when DynamoDB returned no key (the last page)", () => {
    expect(positionOf(undefined)).toBeNull();
    expect(positionOf({ pk: { S: "only-pk" } })).toBeNull();
  });

  const garbage: Record<string, string[]> = {
    empty: [],
    "missing sk": ["a"],
    "empty sk": ["a", ""],
    "three parts": ["a", "cred#x", "more"],
  };
  for (const [what, position] of Object.entries(garbage)) {
    it(`rejects ${what} with VALIDATION_ERROR naming the cursor`, () => {
      expect(() => startKeyOf(position)).toThrow(
        expect.objectContaining({
          code: "VALIDATION_ERROR",
          errors: [expect.objectContaining({ path: "cursor" })],
        }),
      );
    });
  }
});

describe("cursor checks before any request", () => {
  // Never reached: every case below must fail before the SDK sends anything.
  const client = new DynamoDBClient({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:9",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const log = logRequests(client);
  const store = dynamoDbStore({ client, tableName: "credkit-unit" });
  // Core's one cursor format: base64url of ["list" | "scan", ...position].
  const cursor = (...parts: string[]) => Buffer.from(JSON.stringify(parts)).toString("base64url");

  it("refuses a list cursor of another client", async () => {
    await expect(
      store.list("client-a", { limit: 10, cursor: cursor("list", "client-b", "cred#x") }),
    ).rejects.toMatchObject({ code: "VALIDATION_ERROR", errors: [{ path: "cursor" }] });
  });

  it("refuses a list cursor that points outside the record items", async () => {
    await expect(
      store.list("client-a", { limit: 10, cursor: cursor("list", "client-a", "lookup#h") }),
    ).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  });

  it("refuses a scan position that is not a key", async () => {
    await expect(store.scan({ limit: 10, cursor: cursor("scan", "client-a") })).rejects.toMatchObject({
      errors: [{ path: "cursor" }],
    });
  });

  it("refuses a limit below 1 instead of letting DynamoDB call it an outage", async () => {
    await expect(store.list("client-a", { limit: 0 })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    await expect(store.scan({ limit: 1.5 })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    expect(log).toStrictEqual([]);
  });
});
