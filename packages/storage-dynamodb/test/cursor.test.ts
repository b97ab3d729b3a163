import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../src/cursor.js";
import { dynamoDbStore } from "../src/index.js";
import { logRequests } from "./request-log.js";

describe("cursor encoding", () => {
  it("round-trips a LastEvaluatedKey as base64url of {pk, sk}", () => {
    const key = { pk: { S: "client-1" }, sk: { S: "cred#us-east-1.AbC-_9" } };
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(cursor ?? "", "base64url").toString("utf8"))).toStrictEqual({
      pk: "client-1",
      sk: "cred#us-east-1.AbC-_9",
    });
    expect(decodeCursor(cursor ?? "")).toStrictEqual(key);
  });

  it("keeps non-ASCII ids intact", () => {
    const key = { pk: { S: "klient-ü-😀" }, sk: { S: "cred#ö" } };
    expect(decodeCursor(encodeCursor(key) ?? "")).toStrictEqual(key);
  });

  it("is null when DynamoDB returned no key (the last page)", () => {
    expect(encodeCursor(undefined)).toBeNull();
    expect(encodeCursor({ pk: { S: "only-pk" } })).toBeNull();
  });

  const garbage: Record<string, string> = {
    empty: "",
    "not base64url": "a+b/c==",
    "not JSON": Buffer.from("nope").toString("base64url"),
    "JSON null": Buffer.from("null").toString("base64url"),
    "missing sk": Buffer.from(JSON.stringify({ pk: "a" })).toString("base64url"),
    "number pk": Buffer.from(JSON.stringify({ pk: 1, sk: "cred#x" })).toString("base64url"),
    "empty sk": Buffer.from(JSON.stringify({ pk: "a", sk: "" })).toString("base64url"),
    "far too long": "A".repeat(10_000),
  };
  for (const [what, cursor] of Object.entries(garbage)) {
    it(`rejects ${what} with VALIDATION_ERROR naming the cursor`, () => {
      expect(() => decodeCursor(cursor)).toThrow(
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

  it("refuses a list cursor of another client", async () => {
    const foreign = encodeCursor({ pk: { S: "client-b" }, sk: { S: "cred#x" } }) ?? "";
    await expect(store.list("client-a", { limit: 10, cursor: foreign })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
  });

  it("refuses a list cursor that points outside the record items", async () => {
    const lookup = encodeCursor({ pk: { S: "client-a" }, sk: { S: "lookup#h" } }) ?? "";
    await expect(store.list("client-a", { limit: 10, cursor: lookup })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
  });

  it("refuses a limit below 1 instead of letting DynamoDB call it an outage", async () => {
    await expect(store.list("client-a", { limit: 0 })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    await expect(store.scan({ limit: 1.5 })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    expect(log).toStrictEqual([]);
  });
});
