import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { confirmAnswer, notDynamoDbName, withConsumedCapacity } from "../src/answer-shape.js";
import type { StoreContext } from "../src/context.js";

const ctx: StoreContext = {
  client: {} as DynamoDBClient,
  tableName: "credkit-main",
  now: Date.now,
  maxRaceRetries: 5,
};

function refusal(output: Parameters<typeof confirmAnswer>[1]): unknown {
  try {
    confirmAnswer(ctx, output, "PutItem");
  } catch (error) {
    return error;
  }
  return null;
}

describe("an answer's shape", () => {
  it("asks DynamoDB for the capacity a request consumed", () => {
    expect(withConsumedCapacity).toStrictEqual({ ReturnConsumedCapacity: "TOTAL" });
  });

  it("accepts an answer that reports this table's capacity, alone or among others", () => {
    expect(refusal({ ConsumedCapacity: { TableName: "credkit-main", CapacityUnits: 1 } })).toBeNull();
    expect(
      refusal({ ConsumedCapacity: [{ TableName: "credkit-other" }, { TableName: "credkit-main" }] }),
    ).toBeNull();
  });

  it("refuses a success without this table's capacity as STORAGE_UNAVAILABLE, naming the operation", () => {
    for (const output of [
      {},
      { ConsumedCapacity: undefined },
      { ConsumedCapacity: { TableName: "credkit-other" } },
      { ConsumedCapacity: [] },
      { ConsumedCapacity: [{ TableName: "credkit-other" }, {}] },
    ]) {
      const error = refusal(output);
      expect(error).toMatchObject({ code: "STORAGE_UNAVAILABLE", cause: { name: "NotDynamoDbAnswer" } });
      expect((error as { cause: Error }).cause.message).toContain('PutItem on table "credkit-main"');
    }
    expect(notDynamoDbName).toBe("NotDynamoDbAnswer");
  });
});
