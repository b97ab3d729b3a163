import { PutItemCommand, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import type { StoredCredential, WriteEvents } from "@credkit/core";
import { storageUnavailable } from "@credkit/core";
import { confirmAnswer, withConsumedCapacity } from "./answer-shape.js";
import { idTaken, lookupTaken } from "./conflicts.js";
import { raceBackoff, type StoreContext, storeName } from "./context.js";
import { condition, num, vacantCondition } from "./expression.js";
import { type Item, lookupItem, recordItem } from "./item-codec.js";
import { eventItems } from "./pending-events.js";
import { attemptWrite, isRace, onlyConditionsFailed, reasonCode } from "./sdk-errors.js";

/**
 * `create`: one request. A conditional PutItem without a lookup hash or events; otherwise a
 * TransactWriteItems of the record, its lookup item (each conditioned on its key being vacant: absent,
 * or holding an expired record that DynamoDB's TTL sweeper has not removed yet) and its events.
 */
export async function createRecord(
  ctx: StoreContext,
  record: StoredCredential,
  events?: WriteEvents,
): Promise<void> {
  const { lookupHash } = record;
  if (lookupHash === null && (!events || events.length === 0)) return createAlone(ctx, record);
  for (let attempt = 0; ; attempt++) {
    const vacant = condition(vacantCondition, { ":now": num(ctx.now()) });
    const put = (Item: Item) => ({ Put: { TableName: ctx.tableName, Item, ...vacant } });
    // The SDK fills ClientRequestToken once per command, so its own retries of this transaction are
    // idempotent: a retry after a lost response succeeds instead of failing its own conditions.
    const result = await attemptWrite(
      ctx.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            put(recordItem(record)),
            ...(lookupHash === null ? [] : [put(lookupItem({ ...record, lookupHash }))]),
            ...eventItems(ctx, events),
          ],
          ...withConsumedCapacity,
        }),
      ),
    );
    // Stryker disable next-line StringLiteral: the operation's name is only error-message text
    if (result.kind === "ok") return confirmAnswer(ctx, result.output, "TransactWriteItems");
    // Stryker disable next-line ConditionalExpression,StringLiteral: a transaction never fails as a single condition (attemptWrite gives it ok, cancelled or a throw)
    if (result.kind === "cancelled") {
      const { reasons } = result;
      if (onlyConditionsFailed(reasons)) {
        // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: both are CONFLICT; only the message (not mutated) tells them apart
        if (reasonCode(reasons, 0) === "ConditionalCheckFailed") throw idTaken();
        throw lookupTaken();
      }
      if (isRace(reasons) && attempt < ctx.maxRaceRetries) {
        await raceBackoff(attempt);
        continue;
      }
      throw storageUnavailable(storeName, result.error);
    }
    throw storageUnavailable(storeName, new Error("Unexpected condition failure outside a transaction"));
  }
}

async function createAlone(ctx: StoreContext, record: StoredCredential): Promise<void> {
  const item = recordItem(record);
  const result = await attemptWrite(
    ctx.client.send(
      new PutItemCommand({
        TableName: ctx.tableName,
        Item: item,
        ...condition(vacantCondition, { ":now": num(ctx.now()) }),
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        ...withConsumedCapacity,
      }),
    ),
  );
  // Stryker disable next-line StringLiteral: the operation's name is only error-message text
  if (result.kind === "ok") return confirmAnswer(ctx, result.output, "PutItem");
  // A PutItem has no idempotency token: when the SDK retried after a lost response, the item in the way
  // is this very write, byte for byte, and the create did succeed.
  // Stryker disable next-line OptionalChaining,ConditionalExpression: a failed condition means an item is there, and ours has `data`; a single-item write is never cancelled, so its kind is "condition" here
  if (result.kind === "condition" && result.item?.data?.S === item.data?.S) return;
  // Stryker disable next-line ConditionalExpression,StringLiteral: a single-item write is never cancelled (attemptWrite gives it ok, condition or a throw)
  if (result.kind === "cancelled") throw storageUnavailable(storeName, result.error);
  throw idTaken();
}
