import { describe, expect, it } from "vitest";
import { attemptWrite, guard, isRace, onlyConditionsFailed, reasonCode } from "../src/sdk-errors.js";

const failing = (fields: Record<string, unknown>) =>
  Promise.reject(Object.assign(new Error("refused"), fields));
const envelope = { data: { S: '{"secret":"ck1.k1.iv.ct.tag"}' } };

describe("SDK error mapping", () => {
  it("returns a failed condition with the old item, and takes the item off the error", async () => {
    const result = await attemptWrite(failing({ name: "ConditionalCheckFailedException", Item: envelope }));
    expect(result).toMatchObject({ kind: "condition", item: envelope });
    expect(JSON.stringify(result.kind === "condition" ? result.error : null)).not.toContain("ck1");
  });

  it("returns cancellation reasons in item order, and takes the old items off the error", async () => {
    const reasons = [{ Code: "ConditionalCheckFailed", Item: envelope }, { Code: "None" }];
    const result = await attemptWrite(
      failing({ name: "TransactionCanceledException", CancellationReasons: reasons }),
    );
    expect(result).toMatchObject({ kind: "cancelled", reasons });
    if (result.kind !== "cancelled") throw new Error("expected a cancellation");
    expect(
      JSON.stringify((result.error as { CancellationReasons: unknown }).CancellationReasons),
    ).not.toContain("ck1");
    expect(onlyConditionsFailed(result.reasons)).toBe(true);
    expect(isRace(result.reasons)).toBe(false);
  });

  it("tells a lost race from an answer", () => {
    const reasons = [{ Code: "None" }, { Code: "TransactionConflict" }];
    expect(isRace(reasons)).toBe(true);
    expect(onlyConditionsFailed(reasons)).toBe(false);
    expect(onlyConditionsFailed([{ Code: "ThrottlingError" }])).toBe(false);
  });

  it("wraps every other failure as STORAGE_UNAVAILABLE with the SDK error as cause", async () => {
    for (const name of [
      "ResourceNotFoundException",
      "ValidationException",
      "ThrottlingException",
      "TimeoutError",
    ]) {
      await expect(attemptWrite(failing({ name }))).rejects.toMatchObject({
        name: "CredkitError",
        code: "STORAGE_UNAVAILABLE",
        message: "The dynamodb store is unavailable",
        cause: { name },
      });
      await expect(guard(failing({ name }))).rejects.toMatchObject({
        code: "STORAGE_UNAVAILABLE",
        cause: { name },
      });
    }
  });

  it("keeps the cancellation's old items for the caller while the error carries none", async () => {
    const reasons = [{ Code: "ConditionalCheckFailed", Item: envelope }];
    const error = Object.assign(new Error("cancelled"), {
      name: "TransactionCanceledException",
      CancellationReasons: reasons,
    });
    const result = await attemptWrite(Promise.reject(error));
    expect(result).toStrictEqual({ kind: "cancelled", reasons, error });
    expect(error.CancellationReasons).toStrictEqual([{ Code: "ConditionalCheckFailed" }]);
    const failed = Object.assign(new Error("failed"), { name: "ConditionalCheckFailedException" });
    expect(await attemptWrite(Promise.reject(failed))).toStrictEqual({
      kind: "condition",
      item: undefined,
      error: failed,
    });
    expect(Object.keys(failed)).not.toContain("Item");
  });

  it("wraps a cancellation without reasons, and a rejection that is no error object, as STORAGE_UNAVAILABLE", async () => {
    const bare = failing({ name: "TransactionCanceledException" });
    await expect(attemptWrite(bare)).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    for (const thrown of [null, undefined, "ConditionalCheckFailedException", 42]) {
      // Not a TypeError from reading `.name` off null or undefined.
      await expect(attemptWrite(Promise.reject(thrown))).rejects.toMatchObject({
        code: "STORAGE_UNAVAILABLE",
      });
    }
  });

  it("returns a write's output as it is", async () => {
    const output = { ConsumedCapacity: { TableName: "t" } };
    expect(await attemptWrite(Promise.resolve(output))).toStrictEqual({ kind: "ok", output });
    expect(await guard(Promise.resolve(output))).toBe(output);
  });

  it("reads each item's cancellation code, None where DynamoDB gave none", () => {
    const reasons = [{ Code: "None" }, { Code: "ConditionalCheckFailed" }, {}];
    expect([0, 1, 2, 3].map((i) => reasonCode(reasons, i))).toStrictEqual([
      "None",
      "ConditionalCheckFailed",
      "None",
      "None",
    ]);
  });
});
