import { type TransactWriteItem, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import type { StoredCredential, WriteEvents } from "@credkit/core";
import { storageUnavailable } from "@credkit/core";
import { lookupTaken, versionConflict } from "./conflicts.js";
import { raceBackoff, type StoreContext, storeName } from "./context.js";
import { condition, liveCondition, num, str } from "./expression.js";
import { type Item, isLive, lookupHashOf, lookupItem, recordItem, versionOf } from "./item-codec.js";
import { lookupKey } from "./keys.js";
import { eventItems, putWithEvents } from "./pending-events.js";
import {
  attemptWrite,
  isRace,
  onlyConditionsFailed,
  reasonCode,
  type TransactionCancelled,
} from "./sdk-errors.js";

type Retry = { kind: "retry"; cause: unknown };
/** What a transaction of an update came to: an answer or a lost race. */
type Answer = { kind: "done"; value: StoredCredential | null } | Retry;
/** What the first request came to: an answer, a lost race, or the old lookup hash for the second request. */
type Step = Answer | { kind: "slow"; oldHash: string | null };

/**
 * `update`: compare-and-set on `version`. When the caller says the lookup hash moves
 * (`previousLookupHash` differs from `next.lookupHash`), one transaction writes the record (conditioned
 * on the version, which pins the old hash), deletes the old lookup item and claims the new one: 1
 * request. Otherwise the first request assumes the hash is unchanged (the usual case: a rename):
 * - without a lookup hash, a conditional PutItem (`version = :expected`, no `lookupHash`);
 * - with one, a TransactWriteItems that also rewrites the lookup item's copy of the record.
 * Either asks for the old item on a failed condition (`ReturnValuesOnConditionCheckFailure`), which
 * answers "absent/expired" (null) and "other version" (VERSION_CONFLICT) at no extra cost. Only when
 * the lookup hash really moved does a second request follow: one transaction that writes the record
 * (still conditioned on the version), deletes the old lookup item and claims the new one.
 * So an update is 1 request, or 2 when the lookup hash changes. The events it carries are Put items of
 * the same transaction (a lone PutItem becomes a transaction of the put and its events): still 1 request.
 */
export async function updateRecord(
  ctx: StoreContext,
  next: StoredCredential,
  expectedVersion: number,
  previousLookupHash?: string | null,
  events?: WriteEvents,
): Promise<StoredCredential | null> {
  const moves = previousLookupHash !== undefined && previousLookupHash !== next.lookupHash;
  for (let attempt = 0; ; attempt++) {
    const first: Step = moves
      ? { kind: "slow", oldHash: previousLookupHash }
      : await fastPath(ctx, next, expectedVersion, events);
    const answer =
      first.kind === "slow" ? await slowPath(ctx, next, expectedVersion, first.oldHash, true, events) : first;
    if (answer.kind === "done") return answer.value;
    if (attempt >= ctx.maxRaceRetries) throw storageUnavailable(storeName, answer.cause);
    await raceBackoff(attempt);
  }
}

/** Maps the old item DynamoDB returned with a failed record condition. */
function judge(item: Item | undefined, next: StoredCredential, expectedVersion: number, now: number): Step {
  if (item === undefined) return { kind: "done", value: null };
  // The SDK retried a PutItem whose first attempt did land: the stored record is this very write.
  // Stryker disable next-line OptionalChaining: every item this store writes has `data` (recordOf refuses one without)
  if (item.data?.S === JSON.stringify(next)) return { kind: "done", value: next };
  if (!isLive(item, now)) return { kind: "done", value: null };
  const stored = versionOf(item);
  if (stored !== expectedVersion) throw versionConflict(expectedVersion, stored);
  return { kind: "slow", oldHash: lookupHashOf(item) };
}

async function fastPath(
  ctx: StoreContext,
  next: StoredCredential,
  expectedVersion: number,
  events: WriteEvents | undefined,
): Promise<Step> {
  const now = ctx.now();
  const values = { ":now": num(now), ":expected": num(expectedVersion) };
  const { lookupHash } = next;
  if (lookupHash === null) {
    const result = await putWithEvents(
      ctx,
      {
        TableName: ctx.tableName,
        Item: recordItem(next),
        ...condition(`${liveCondition} AND #v = :expected AND attribute_not_exists(#lh)`, values),
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
      events,
    );
    if (result.kind === "ok") return { kind: "done", value: next };
    // Stryker disable next-line ConditionalExpression: a lone PutItem is never cancelled, and putWithEvents answers its transaction's failed condition as `condition`: only a race with another transaction is cancelled (next line)
    if (result.kind === "condition") return judge(result.item, next, expectedVersion, now);
    // Stryker disable next-line StringLiteral: updateRecord retries every kind but "done"
    if (isRace(result.reasons)) return { kind: "retry", cause: result.error };
    throw storageUnavailable(storeName, result.error);
  }
  const result = await attemptWrite(
    ctx.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: ctx.tableName,
              Item: recordItem(next),
              ...condition(`${liveCondition} AND #v = :expected AND #lh = :hash`, {
                ...values,
                ":hash": str(lookupHash),
              }),
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
          {
            Put: {
              TableName: ctx.tableName,
              Item: lookupItem({ ...next, lookupHash }),
              // Absent only if something removed it behind our back; then this heals it.
              ...condition("attribute_not_exists(#pk) OR #cid = :id", { ":id": str(next.credentialId) }),
            },
          },
          ...eventItems(ctx, events),
        ],
      }),
    ),
  );
  if (result.kind === "ok") return { kind: "done", value: next };
  // Stryker disable next-line ConditionalExpression: a transaction never fails as a single condition (attemptWrite gives it ok, cancelled or a throw)
  if (result.kind === "cancelled") {
    return cancelled(result, (reasons) => {
      if (reasonCode(reasons, 0) === "ConditionalCheckFailed") {
        // Stryker disable next-line OptionalChaining: DynamoDB gives one reason per item, so reasons[0] exists
        return judge(reasons[0]?.Item, next, expectedVersion, now);
      }
      throw lookupTaken();
    });
  }
  throw storageUnavailable(storeName, result.error);
}

async function slowPath(
  ctx: StoreContext,
  next: StoredCredential,
  expectedVersion: number,
  oldHash: string | null,
  deleteOldLookup: boolean,
  events: WriteEvents | undefined,
): Promise<Answer> {
  const now = ctx.now();
  const id = str(next.credentialId);
  const items: TransactWriteItem[] = [
    {
      Put: {
        TableName: ctx.tableName,
        Item: recordItem(next),
        ...condition(`${liveCondition} AND #v = :expected`, {
          ":now": num(now),
          ":expected": num(expectedVersion),
        }),
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    },
  ];
  let oldIndex = -1;
  // Stryker disable next-line ConditionalExpression: oldHash is never next.lookupHash here (moves, or judge after the fast path found the hash moved); the delete of `lookup#null` is of a key no base64url hash has, and vacant
  if (deleteOldLookup && oldHash !== null && oldHash !== next.lookupHash) {
    oldIndex = items.length;
    items.push({
      Delete: {
        TableName: ctx.tableName,
        Key: lookupKey(next.clientId, oldHash),
        ...condition("attribute_not_exists(#pk) OR #cid = :id", { ":id": id }),
      },
    });
  }
  const { lookupHash } = next;
  if (lookupHash !== null) {
    items.push({
      Put: {
        TableName: ctx.tableName,
        Item: lookupItem({ ...next, lookupHash }),
        ...condition("attribute_not_exists(#pk) OR #cid = :id OR #exp <= :now", {
          ":id": id,
          ":now": num(now),
        }),
      },
    });
  }
  items.push(...eventItems(ctx, events));
  const result = await attemptWrite(ctx.client.send(new TransactWriteItemsCommand({ TransactItems: items })));
  if (result.kind === "ok") return { kind: "done", value: next };
  // Stryker disable next-line ConditionalExpression: a transaction never fails as a single condition (attemptWrite gives it ok, cancelled or a throw)
  if (result.kind === "cancelled") {
    return cancelled(result, async (reasons) => {
      if (reasonCode(reasons, 0) === "ConditionalCheckFailed") {
        // Stryker disable next-line OptionalChaining: DynamoDB gives one reason per item, so reasons[0] exists
        const step = judge(reasons[0]?.Item, next, expectedVersion, now);
        // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral,ObjectLiteral: judge answers "slow" only for a live item of the expected version, which this request's own record condition passes; only a null answer comes this way
        return step.kind === "slow" ? { kind: "retry", cause: result.error } : step;
      }
      // The old lookup item went to another record (it could only after this one's expiry passed on
      // some clock): it is not ours to delete, so write without touching it.
      // Without the delete, oldIndex is -1: no reason, "None".
      if (reasonCode(reasons, oldIndex) === "ConditionalCheckFailed") {
        return slowPath(ctx, next, expectedVersion, oldHash, false, events);
      }
      throw lookupTaken();
    });
  }
  throw storageUnavailable(storeName, result.error);
}

/** Common handling of a cancelled transaction: failed conditions are answers, conflicts are races. */
async function cancelled<T extends Step>(
  result: TransactionCancelled,
  onConditions: (reasons: TransactionCancelled["reasons"]) => T | Promise<T>,
): Promise<T | Retry> {
  if (onlyConditionsFailed(result.reasons)) return onConditions(result.reasons);
  // Stryker disable next-line StringLiteral: updateRecord retries every kind but "done"
  if (isRace(result.reasons)) return { kind: "retry", cause: result.error };
  throw storageUnavailable(storeName, result.error);
}
