import { DeleteItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { storageUnavailable } from "@credkit/core";
import { type StoreContext, storeName } from "./context.js";
import { condition, num, str } from "./expression.js";
import { ttlSeconds } from "./item-codec.js";
import { leaseKey, ttlAttribute } from "./keys.js";
import { attemptWrite, type WriteResult } from "./sdk-errors.js";

// Held: this owner's lease, not yet expired by the caller's clock.
const heldBy = "#owner = :owner AND #exp > :now";

/**
 * `acquireLease`: one conditional PutItem of `{pk: lease#<name>, sk: lease, owner, expiresAt, ttl}`,
 * allowed when the lease is free, expired, or already this owner's (re-acquiring refreshes it). Only
 * one of concurrent acquirers can satisfy the condition.
 */
export async function acquireLease(
  ctx: StoreContext,
  name: string,
  owner: string,
  ttlMs: number,
): Promise<boolean> {
  const now = ctx.now();
  const expiresAt = now + ttlMs;
  return answered(
    await attemptWrite(
      ctx.client.send(
        new PutItemCommand({
          TableName: ctx.tableName,
          Item: {
            ...leaseKey(name),
            owner: str(owner),
            expiresAt: num(expiresAt),
            [ttlAttribute]: num(ttlSeconds(expiresAt)),
          },
          ...condition("attribute_not_exists(#pk) OR #exp <= :now OR #owner = :owner", {
            ":now": num(now),
            ":owner": str(owner),
          }),
        }),
      ),
    ),
  );
}

/** `releaseLease`: one conditional DeleteItem, only while `owner` holds the lease. */
export async function releaseLease(ctx: StoreContext, name: string, owner: string): Promise<boolean> {
  return answered(
    await attemptWrite(
      ctx.client.send(
        new DeleteItemCommand({
          TableName: ctx.tableName,
          Key: leaseKey(name),
          ...condition(heldBy, { ":now": num(ctx.now()), ":owner": str(owner) }),
        }),
      ),
    ),
  );
}

function answered(result: WriteResult<unknown>): boolean {
  if (result.kind === "ok") return true;
  // Stryker disable next-line ConditionalExpression: a single-item write is never cancelled (attemptWrite gives it ok, condition or a throw)
  if (result.kind === "condition") return false;
  throw storageUnavailable(storeName, result.error);
}
