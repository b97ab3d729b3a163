import {
  DeleteItemCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import type { StoredCredential, WriteEvents } from "@credkit/core";
import { storageUnavailable } from "@credkit/core";
import { raceBackoff, type StoreContext, storeName } from "./context.js";
import { condition, liveCondition, num, str } from "./expression.js";
import { type Item, isLive, lookupHashOf, recordItem, recordOf, versionOf } from "./item-codec.js";
import { lookupKey, recordKey } from "./keys.js";
import { eventItems } from "./pending-events.js";
import { readRecordItem } from "./reads.js";
import { attemptWrite, isRace, onlyConditionsFailed, reasonCode } from "./sdk-errors.js";

/**
 * Removes a live record and its lookup item atomically and returns the record, or null when there was
 * none (absent, expired, or another caller removed it first). Backs both `delete` and `consume`.
 *
 * The first request is a conditional DeleteItem that only succeeds for a record without a lookup hash,
 * returning the deleted item (1 request). For a record with one it fails and returns the old item at
 * no cost, and a TransactWriteItems deletes the record — conditioned on the version just read — and its
 * lookup item (2 requests). Conditional deletes make "exactly one of N concurrent consumers wins"
 * DynamoDB's guarantee: the losers' conditions fail on the missing item and they get null.
 *
 * With events to store, a transaction returns no old item on success, so the record is read first (a
 * strongly consistent GetItem) and removed by the transaction, conditioned on the version read, with
 * its lookup item and its events: 2 requests. When the caller gives the record it just read (`read`:
 * the service reads it for the event's payload), one transaction conditioned on that read's version is
 * tried first, instead of the GetItem: 1 request. If the record changed in between, that condition
 * fails and the store goes on as without `read` (a stale read costs one request, not a race retry).
 */
export async function removeRecord(
  ctx: StoreContext,
  clientId: string,
  credentialId: string,
  events?: WriteEvents,
  read?: StoredCredential,
): Promise<StoredCredential | null> {
  if (events && events.length > 0 && read !== undefined) {
    const now = ctx.now();
    const old = recordItem(read);
    if (!isLive(old, now)) return null;
    const outcome = await removeWithLookup(ctx, clientId, credentialId, old, now, events);
    if (outcome.kind === "done") return outcome.value;
  }
  let lastRace: unknown;
  for (let attempt = 0; attempt <= ctx.maxRaceRetries; attempt++) {
    if (attempt > 0) await raceBackoff(attempt - 1);
    const now = ctx.now();
    if (events && events.length > 0) {
      const old = await readRecordItem(ctx, clientId, credentialId);
      if (old === undefined || !isLive(old, now)) return null;
      const outcome = await removeWithLookup(ctx, clientId, credentialId, old, now, events);
      if (outcome.kind === "done") return outcome.value;
      lastRace = outcome.cause;
      continue;
    }
    const first = await attemptWrite(
      ctx.client.send(
        new DeleteItemCommand({
          TableName: ctx.tableName,
          Key: recordKey(clientId, credentialId),
          ...condition(`${liveCondition} AND attribute_not_exists(#lh)`, { ":now": num(now) }),
          ReturnValues: "ALL_OLD",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      ),
    );
    if (first.kind === "ok") return first.output.Attributes ? recordOf(first.output.Attributes) : null;
    // Stryker disable next-line ConditionalExpression,StringLiteral: a single-item write is never cancelled (attemptWrite gives it ok, condition or a throw)
    if (first.kind === "cancelled") throw storageUnavailable(storeName, first.error);
    const old = first.item;
    if (old === undefined || !isLive(old, now)) return null;
    const outcome = await removeWithLookup(ctx, clientId, credentialId, old, now, undefined);
    if (outcome.kind === "done") return outcome.value;
    lastRace = outcome.cause;
  }
  throw storageUnavailable(storeName, lastRace);
}

type Outcome = { kind: "done"; value: StoredCredential | null } | { kind: "retry"; cause: unknown };

async function removeWithLookup(
  ctx: StoreContext,
  clientId: string,
  credentialId: string,
  old: Item,
  now: number,
  events: WriteEvents | undefined,
): Promise<Outcome> {
  const hash = lookupHashOf(old);
  const items: TransactWriteItem[] = [
    {
      Delete: {
        TableName: ctx.tableName,
        Key: recordKey(clientId, credentialId),
        ...condition(`${liveCondition} AND #v = :version`, {
          ":now": num(now),
          ":version": num(versionOf(old)),
        }),
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    },
  ];
  // Stryker disable next-line ConditionalExpression: without a hash the extra delete is of `lookup#null`, a key no base64url hash has, and vacant
  if (hash !== null) {
    items.push({
      Delete: {
        TableName: ctx.tableName,
        Key: lookupKey(clientId, hash),
        // A lookup item another record took over (after this one expired on some clock) is not ours.
        ...condition("attribute_not_exists(#pk) OR #cid = :id", { ":id": str(credentialId) }),
      },
    });
  }
  items.push(...eventItems(ctx, events));
  const result = await attemptWrite(ctx.client.send(new TransactWriteItemsCommand({ TransactItems: items })));
  if (result.kind === "ok") return { kind: "done", value: recordOf(old) };
  // Stryker disable next-line ConditionalExpression,StringLiteral: a transaction never fails as a single condition (attemptWrite gives it ok, cancelled or a throw)
  if (result.kind === "condition") throw storageUnavailable(storeName, result.error);
  const { reasons } = result;
  if (onlyConditionsFailed(reasons)) {
    if (reasonCode(reasons, 0) === "ConditionalCheckFailed") {
      // Stryker disable next-line OptionalChaining: DynamoDB gives one reason per item, so reasons[0] exists
      const current = reasons[0]?.Item;
      // Gone or expired: another caller won. Still there: it was updated in between, so start over.
      if (current === undefined || !isLive(current, ctx.now())) return { kind: "done", value: null };
      // Stryker disable next-line StringLiteral: removeRecord retries every kind but "done"
      return { kind: "retry", cause: result.error };
    }
    const withoutLookup = { ...old };
    delete withoutLookup.lookupHash;
    return removeWithLookup(ctx, clientId, credentialId, withoutLookup, now, events);
  }
  // Stryker disable next-line StringLiteral: removeRecord retries every kind but "done"
  if (isRace(reasons)) return { kind: "retry", cause: result.error };
  throw storageUnavailable(storeName, result.error);
}
