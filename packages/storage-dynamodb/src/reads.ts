import { GetItemCommand, QueryCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import type { DriverListOptions, DriverPage, DriverScanOptions, StoredCredential } from "@credkit/core";
import { invalidCursor } from "@credkit/core";
import type { StoreContext } from "./context.js";
import { namesIn, num, str, valuesIn } from "./expression.js";
import { type Item, recordOf } from "./item-codec.js";
import { lookupKey, recordKey, recordPrefix } from "./keys.js";
import { positionOf, startKeyOf } from "./position.js";
import { guard } from "./sdk-errors.js";

// Expired items linger until DynamoDB's TTL sweeper (which may take days) removes them.
const liveFilter = "(attribute_not_exists(#exp) OR #exp > :now)";

/** `get`: one strongly consistent GetItem. */
export async function getRecord(
  ctx: StoreContext,
  clientId: string,
  credentialId: string,
): Promise<StoredCredential | null> {
  return recordOrNull(await readRecordItem(ctx, clientId, credentialId));
}

/** The record's item by one strongly consistent GetItem (it sees every completed write), or undefined. */
export async function readRecordItem(
  ctx: StoreContext,
  clientId: string,
  credentialId: string,
): Promise<Item | undefined> {
  const output = await guard(
    ctx.client.send(
      new GetItemCommand({
        TableName: ctx.tableName,
        Key: recordKey(clientId, credentialId),
        ConsistentRead: true,
      }),
    ),
  );
  return output.Item;
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
  const record = recordOrNull(output.Item);
  // Belt and braces: a lookup item must describe a record of this client with this very hash.
  return record !== null && record.clientId === clientId && record.lookupHash === lookupHash ? record : null;
}

/**
 * `list`: one strongly consistent Query per page over `pk = clientId AND begins_with(sk, "cred#")`,
 * which is ascending credential id order. `Limit` caps the items DynamoDB reads before the filter drops
 * expired (and, unless asked, temporary) ones, so a page may be short, even empty, with a cursor.
 */
export async function listRecords(
  ctx: StoreContext,
  clientId: string,
  options: DriverListOptions,
): Promise<DriverPage> {
  const startKey = options.after === undefined ? undefined : startKeyOf(options.after);
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
        Limit: options.limit,
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    ),
  );
  // Stryker disable next-line ArrayDeclaration: DynamoDB answers every Query and Scan with Items, [] when none match
  return { items: (output.Items ?? []).map(recordOf), next: positionOf(output.LastEvaluatedKey) };
}

/**
 * `scan`: one strongly consistent table Scan per page, keeping live record items (lookup copies and
 * leases are skipped). The cursor is DynamoDB's own position, so it survives restarts.
 */
export async function scanRecords(ctx: StoreContext, options: DriverScanOptions): Promise<DriverPage> {
  const filter = `begins_with(#sk, :prefix) AND ${liveFilter}`;
  const output = await guard(
    ctx.client.send(
      new ScanCommand({
        TableName: ctx.tableName,
        FilterExpression: filter,
        ExpressionAttributeNames: namesIn(filter),
        ExpressionAttributeValues: valuesIn({ ":prefix": str(recordPrefix), ":now": num(ctx.now()) }, filter),
        Limit: options.limit,
        ExclusiveStartKey: options.after === undefined ? undefined : startKeyOf(options.after),
        ConsistentRead: true,
      }),
    ),
  );
  // Stryker disable next-line ArrayDeclaration: DynamoDB answers every Query and Scan with Items, [] when none match
  return { items: (output.Items ?? []).map(recordOf), next: positionOf(output.LastEvaluatedKey) };
}

// Expired items are dropped by core's defineCredentialStore, by the store's clock.
function recordOrNull(item: Item | undefined): StoredCredential | null {
  return item === undefined ? null : recordOf(item);
}
