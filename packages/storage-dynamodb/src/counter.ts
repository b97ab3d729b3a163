import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { type SharedCounter, storageUnavailable } from "@credkit/core";
import { storeName } from "./context.js";
import { namesIn, num, vacantCondition, valuesIn } from "./expression.js";
import { ttlSeconds } from "./item-codec.js";
import { counterItemKey } from "./keys.js";
import { attemptWrite } from "./sdk-errors.js";
import { type DynamoDbSharedStateConfig, sharedContext } from "./shared-config.js";

const increment = "SET #n = #n + :one";
const inWindow = "#exp > :now";
const restart = "SET #n = :one, #exp = :end, #ttl = :ttl";

// Two writes can only both miss when a third process restarted the window in between; a window then
// lasts `windowMs`, so a second miss in a row is already unlikely and five means something is wrong.
const maxAttempts = 5;

/**
 * A fixed-window counter in the credkit table, shared by every process using the table (the DynamoDB
 * twin of the server's Redis counter). One item per key, `{pk: counter#<key>, sk: counter, count,
 * expiresAt}`. A hit is one UpdateItem adding 1, conditional on the window not having ended (compared
 * in the condition: TTL deletion is days late); the first hit of a window, refused by that condition,
 * restarts it with one more UpdateItem conditional on the window having ended, so of concurrent
 * restarters exactly one starts the window at 1 and the others count on in it.
 */
export function dynamoDbCounter(config: DynamoDbSharedStateConfig) {
  const ctx = sharedContext(config);
  const update = (key: string, expression: string, onlyIf: string, values: Record<string, { N: string }>) =>
    attemptWrite(
      ctx.client.send(
        new UpdateItemCommand({
          TableName: ctx.tableName,
          Key: counterItemKey(key),
          UpdateExpression: expression,
          ConditionExpression: onlyIf,
          ExpressionAttributeNames: namesIn(expression, onlyIf),
          ExpressionAttributeValues: valuesIn(values, expression, onlyIf),
          ReturnValues: "ALL_NEW",
        }),
      ),
    );
  return {
    async hit(key, windowMs) {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const now = ctx.now();
        const counted = await update(key, increment, inWindow, { ":one": num(1), ":now": num(now) });
        if (counted.kind === "ok") {
          const item = counted.output.Attributes;
          // Stryker disable OptionalChaining: ReturnValues ALL_NEW always returns the item just updated
          return {
            count: Number(item?.count?.N),
            resetMs: Math.max(0, Number(item?.expiresAt?.N) - now),
          };
          // Stryker restore OptionalChaining
        }
        // Stryker disable next-line ConditionalExpression: an UpdateItem is never cancelled (attemptWrite gives it ok, condition or a throw)
        if (counted.kind !== "condition") throw storageUnavailable(storeName, counted.error);
        const end = now + windowMs;
        const restarted = await update(key, restart, vacantCondition, {
          ":one": num(1),
          ":now": num(now),
          ":end": num(end),
          ":ttl": num(ttlSeconds(end)),
        });
        if (restarted.kind === "ok") return { count: 1, resetMs: windowMs };
        // Stryker disable next-line ConditionalExpression: an UpdateItem is never cancelled (attemptWrite gives it ok, condition or a throw)
        if (restarted.kind !== "condition") throw storageUnavailable(storeName, restarted.error);
      }
      throw storageUnavailable(storeName, new Error("the rate-limit window kept restarting"));
    },
  } satisfies SharedCounter;
}
