import { GetItemCommand, QueryCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import type { ListOptions, Page, ScanOptions, StoredCredential } from "@credkit/core";
import { assertPageLimit } from "@credkit/core";
import type { StoreContext } from "./context.js";
import { decodeCursor, encodeCursor, invalidCursor } from "./cursor.js";
import { namesIn, num, str, valuesIn } from "./expression.js";
import { type Item, isLive, recordOf } from "./item-codec.js";
import { lookupKey, recordKey, recordPrefix } from "./keys.js";
import { guard } from "./sdk-errors.js";

// Expired items linger until DynamoDB's TTL sweeper (which may take days) removes them.
const liveFilter = "(attribute_not_exists(#exp) OR #exp > :now)";

/** `get`: one strongly consistent GetItem. */
export async function getRecord(
  ctx: StoreContext,
  clientId: string,
  credentialId: string,
): Promise<StoredCredential | null> {
  const output = await guard(
    ctx.client.send(
      new GetItemCommand({
        TableName: ctx.tableName,
        Key: recordKey(clientId, credentialId),
        ConsistentRead: true,
      }),
    ),
  );
  return liveRecord(output.Item, ctx.now());
}

/** `findByLookup`: one strongly consistent GetItem of the lookup item, which holds a copy of the record. */
export async function findRecordByLookup(
  ctx: StoreContext,
  clientId: string,
  lookupHash: string,
): Promise<StoredCredential | null> {
  const output = await guard(
    ctx.client.send(
      new GetItemCommand({
        TableName: ctx.tableName,
        Key: lookupKey(clientId, lookupHash),
        ConsistentRead: true,
      }),
    ),
  );
  const record = liveRecord(output.Item, ctx.now());
  // Belt and braces: a lookup item must describe a record of this client with this very hash.
  return record !== null && record.clientId === clientId && record.lookupHash === lookupHash ? record : null;
}

/**
 * `list`: one strongly consistent Query per page over `pk = clientId AND begins_with(sk, "cred#")`,
 * which is ascending credential id order. `Limit` caps the items DynamoDB reads before the filter drops
 * expired (and, unless asked, temporary) ones, so a page may be short, even empty, with a cursor.
 */
export async function listRecords(ctx: StoreContext, clientId: string, options: ListOptions): Promise<Page> {
  const startKey = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  if (startKey !== undefined && (startKey.pk.S !== clientId || !startKey.sk.S.startsWith(recordPrefix))) {
    throw invalidCursor();
  }
  const keyCondition = "#pk = :pk AND begins_with(#sk, :prefix)";
  const filter = options.includeTemporary ? liveFilter : `${liveFilter} AND #tmp = :false`;
  const output = await guard(
    ctx.client.send(
      new QueryCommand({
        TableName: ctx.tableName,
        KeyConditionExpression: keyCondition,
        FilterExpression: filter,
        ExpressionAttributeNames: namesIn(keyCondition, filter),
        ExpressionAttributeValues: valuesIn(
          {
            ":pk": str(clientId),
            ":prefix": str(recordPrefix),
            ":now": num(ctx.now()),
            ":false": { BOOL: false },
          },
          keyCondition,
          filter,
        ),
        Limit: pageLimit(options.limit),
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    ),
  );
  return { items: (output.Items ?? []).map(recordOf), cursor: encodeCursor(output.LastEvaluatedKey) };
}

/**
 * `scan`: one strongly consistent table Scan per page, keeping live record items (lookup copies and
 * leases are skipped). The cursor is DynamoDB's own position, so it survives restarts.
 */
export async function scanRecords(ctx: StoreContext, options: ScanOptions): Promise<Page> {
  const filter = `begins_with(#sk, :prefix) AND ${liveFilter}`;
  const output = await guard(
    ctx.client.send(
      new ScanCommand({
        TableName: ctx.tableName,
        FilterExpression: filter,
        ExpressionAttributeNames: namesIn(filter),
        ExpressionAttributeValues: valuesIn({ ":prefix": str(recordPrefix), ":now": num(ctx.now()) }, filter),
        Limit: pageLimit(options.limit),
        ExclusiveStartKey: options.cursor === undefined ? undefined : decodeCursor(options.cursor),
        ConsistentRead: true,
      }),
    ),
  );
  return { items: (output.Items ?? []).map(recordOf), cursor: encodeCursor(output.LastEvaluatedKey) };
}

function liveRecord(item: Item | undefined, now: number): StoredCredential | null {
  return item === undefined || !isLive(item, now) ? null : recordOf(item);
}

// DynamoDB rejects a Limit below 1 with a ValidationException, which would read as an outage.
function pageLimit(limit: number): number {
  assertPageLimit(limit);
  return limit;
}
