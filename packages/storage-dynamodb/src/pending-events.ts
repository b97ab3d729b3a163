import {
  DeleteItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import type { AnyCredkitEvent, PendingEvent, WriteEvents } from "@credkit/core";
import type { StoreContext } from "./context.js";
import { str } from "./expression.js";
import { pendingEventPrefix, pendingEventsPartition } from "./keys.js";
import { attemptWrite, guard, onlyConditionsFailed, reasonCode, type WriteResult } from "./sdk-errors.js";

/**
 * The transaction items that store `events` beside the write they report (appended after the write's
 * own items, so the indexes of its cancellation reasons do not move). Unconditional: a write that does
 * not apply cancels the whole transaction, events included.
 */
export function eventItems(ctx: StoreContext, events: WriteEvents | undefined): TransactWriteItem[] {
  return (events ?? []).map((event) => ({
    Put: {
      TableName: ctx.tableName,
      Item: {
        pk: str(pendingEventsPartition),
        // Ordered by the writer's clock, then id: one credential's writes are ordered by their versions'
        // compare-and-set, and each writer stamps its event after reading the version it replaces.
        sk: str(`${pendingEventPrefix}${event.timestamp}#${event.id}`),
        event: str(JSON.stringify(event)),
      },
    },
  }));
}

/**
 * A conditional PutItem, or, when it carries events, one TransactWriteItems of the put and its events;
 * either way a failed condition answers `condition` with the old item, so callers map it once.
 */
export async function putWithEvents(
  ctx: StoreContext,
  put: PutItemCommandInput,
  events: WriteEvents | undefined,
): Promise<WriteResult<unknown>> {
  if (!events || events.length === 0) return attemptWrite(ctx.client.send(new PutItemCommand(put)));
  const result = await attemptWrite(
    ctx.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [{ Put: { ...put, TableName: ctx.tableName } }, ...eventItems(ctx, events)],
      }),
    ),
  );
  if (
    result.kind === "cancelled" &&
    onlyConditionsFailed(result.reasons) &&
    reasonCode(result.reasons, 0) === "ConditionalCheckFailed"
  ) {
    return { kind: "condition", item: result.reasons[0]?.Item, error: result.error };
  }
  return result;
}

/** `pendingEvents`: one strongly consistent Query of the log's partition, oldest first. */
export async function readPendingEvents(ctx: StoreContext, limit: number): Promise<PendingEvent[]> {
  const output = await guard(
    ctx.client.send(
      new QueryCommand({
        TableName: ctx.tableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
        ExpressionAttributeValues: { ":pk": str(pendingEventsPartition), ":prefix": str(pendingEventPrefix) },
        ConsistentRead: true,
        Limit: limit,
      }),
    ),
  );
  return (output.Items ?? []).flatMap((item) => {
    const sk = item.sk?.S;
    const json = item.event?.S;
    return sk === undefined || json === undefined
      ? []
      : [{ handle: sk, event: JSON.parse(json) as AnyCredkitEvent }];
  });
}

/** `removePendingEvents`: one DeleteItem per entry, sent together. */
export async function removePendingEvents(ctx: StoreContext, events: readonly PendingEvent[]): Promise<void> {
  await Promise.all(
    events.map((entry) =>
      guard(
        ctx.client.send(
          new DeleteItemCommand({
            TableName: ctx.tableName,
            Key: { pk: str(pendingEventsPartition), sk: str(entry.handle) },
          }),
        ),
      ),
    ),
  );
}
