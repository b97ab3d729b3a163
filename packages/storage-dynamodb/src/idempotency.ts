import { type AttributeValue, DeleteItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { type IdempotencyEntry, type IdempotencyStore, storageUnavailable } from "@credkit/core";
import { storeName } from "./context.js";
import { condition, num, str, vacantCondition } from "./expression.js";
import { ttlSeconds } from "./item-codec.js";
import { idempotencyItemKey, ttlAttribute } from "./keys.js";
import { attemptWrite } from "./sdk-errors.js";
import { type DynamoDbSharedStateConfig, sharedContext } from "./shared-config.js";

// Still this owner's claim, and still in progress by the caller's clock. A completed item names no
// owner, so neither complete nor release can touch it; an expired claim may already be someone else's.
const heldBy = "#owner = :owner AND #exp > :now";

/**
 * An idempotency store in the credkit table, shared by every process using the table. One item per
 * key, `{pk: idempotency#<key>, sk: idempotency}`:
 * - claim: one conditional PutItem of `{fingerprint, owner, expiresAt: now + inProgressMs}`, allowed
 *   when there is no item or its `expiresAt` has passed (compared in the condition: DynamoDB's TTL
 *   deletes expired items days late, so the `ttl` attribute is only housekeeping); a refused claim
 *   gets the item held from the same request (`ReturnValuesOnConditionCheckFailure`).
 * - complete: one PutItem of `{fingerprint, credentialId, sealedExtra?, expiresAt: now + ttlMs}`,
 *   conditional on the owner's live claim.
 * - release: one DeleteItem, conditional on the owner's live claim.
 * Keys and fingerprints arrive as keyed hashes; nothing stored is a secret or an unkeyed hash of one.
 */
export function dynamoDbIdempotencyStore(config: DynamoDbSharedStateConfig) {
  const ctx = sharedContext(config);
  return {
    async claim(key, { fingerprint, owner, inProgressMs }) {
      const now = ctx.now();
      const expiresAt = now + inProgressMs;
      const result = await attemptWrite(
        ctx.client.send(
          new PutItemCommand({
            TableName: ctx.tableName,
            Item: {
              ...idempotencyItemKey(key),
              fingerprint: str(fingerprint),
              owner: str(owner),
              expiresAt: num(expiresAt),
              [ttlAttribute]: num(ttlSeconds(expiresAt)),
            },
            ...condition(vacantCondition, { ":now": num(now) }),
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        ),
      );
      if (result.kind === "ok") return null;
      // Stryker disable next-line ConditionalExpression: a PutItem is never cancelled (attemptWrite gives it ok, condition or a throw)
      if (result.kind === "condition") {
        // The SDK retries a request whose answer was lost: the item held may be this very claim.
        // Stryker disable next-line OptionalChaining: the condition fails only on an item that is there, which DynamoDB returns
        if (result.item?.owner?.S === owner) return null;
        // Held; without the old item (it lapsed in between), report it as in progress, not a race.
        // Stryker disable next-line ObjectLiteral: unreached, as above
        return result.item ? entryOf(result.item) : { fingerprint };
      }
      throw storageUnavailable(storeName, result.error);
    },
    async complete(key, owner, entry, ttlMs) {
      const now = ctx.now();
      const expiresAt = now + ttlMs;
      const result = await attemptWrite(
        ctx.client.send(
          new PutItemCommand({
            TableName: ctx.tableName,
            Item: {
              ...idempotencyItemKey(key),
              fingerprint: str(entry.fingerprint),
              ...(entry.credentialId === undefined ? {} : { credentialId: str(entry.credentialId) }),
              ...(entry.sealedExtra === undefined ? {} : { sealedExtra: str(entry.sealedExtra) }),
              expiresAt: num(expiresAt),
              [ttlAttribute]: num(ttlSeconds(expiresAt)),
            },
            ...condition(heldBy, { ":owner": str(owner), ":now": num(now) }),
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        ),
      );
      if (result.kind === "ok") return true;
      // Stryker disable next-line ConditionalExpression: a PutItem is never cancelled (attemptWrite gives it ok, condition or a throw)
      if (result.kind !== "condition") throw storageUnavailable(storeName, result.error);
      // A retried request whose first attempt landed finds its own completion (same fingerprint and
      // credential, no owner): done. Anything else means the claim was lost.
      const held = result.item;
      return (
        held !== undefined &&
        held.owner === undefined &&
        // Stryker disable next-line OptionalChaining: every item this store writes has a fingerprint
        held.fingerprint?.S === entry.fingerprint &&
        held.credentialId?.S === entry.credentialId
      );
    },
    async release(key, owner) {
      // A refused condition (the claim is no longer this owner's) leaves nothing to free, so it is no
      // error; attemptWrite throws every other failure as STORAGE_UNAVAILABLE.
      await attemptWrite(
        ctx.client.send(
          new DeleteItemCommand({
            TableName: ctx.tableName,
            Key: idempotencyItemKey(key),
            ...condition(heldBy, { ":owner": str(owner), ":now": num(ctx.now()) }),
          }),
        ),
      );
    },
  } satisfies IdempotencyStore;
}

function entryOf(item: Record<string, AttributeValue>): IdempotencyEntry {
  // Stryker disable next-line OptionalChaining,StringLiteral: every item this store writes has a fingerprint
  const entry: IdempotencyEntry = { fingerprint: item.fingerprint?.S ?? "" };
  if (item.credentialId?.S !== undefined) entry.credentialId = item.credentialId.S;
  if (item.sealedExtra?.S !== undefined) entry.sealedExtra = item.sealedExtra.S;
  return entry;
}
