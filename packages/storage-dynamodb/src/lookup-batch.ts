import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type KeysAndAttributes,
} from "@aws-sdk/client-dynamodb";
import { type StoredCredential, storageUnavailable } from "@credkit/core";
import { raceBackoff, type StoreContext, storeName } from "./context.js";
import { type Item, recordOf } from "./item-codec.js";
import { lookupKey } from "./keys.js";
import { guard } from "./sdk-errors.js";

/** DynamoDB's bound on the keys of one BatchGetItem. */
export const maxKeysPerBatch = 100;
// Unprocessed keys (DynamoDB answers part of a batch when the table or partition is throttled) are
// asked again this many times, with backoff; past that the store is unavailable, never a silent miss.
const maxUnprocessedRetries = 5;

/**
 * `findByLookups`: one strongly consistent BatchGetItem of the lookup items (each holds a copy of its
 * record, so no second request). Distinct hashes only; past {@link maxKeysPerBatch} the batches are
 * sent together (one round trip of latency; proxy verification sends at most 68 hashes while two keys
 * rotate, one batch). Keys DynamoDB leaves unprocessed are asked again: only those.
 */
export async function findRecordsByLookups(
  ctx: StoreContext,
  clientId: string,
  lookupHashes: readonly string[],
): Promise<(StoredCredential | null)[]> {
  const distinct = [...new Set(lookupHashes)];
  const batches: string[][] = [];
  // Stryker disable next-line EqualityOperator: one more turn adds an empty batch, which readBatch never sends
  for (let i = 0; i < distinct.length; i += maxKeysPerBatch)
    batches.push(distinct.slice(i, i + maxKeysPerBatch));
  const items = (await Promise.all(batches.map((hashes) => readBatch(ctx, clientId, hashes)))).flat();
  const byHash = new Map<string, Item>();
  for (const item of items) {
    // Stryker disable next-line OptionalChaining: `sk` is a key attribute, in every item
    const sk = item.sk?.S;
    // Stryker disable next-line ConditionalExpression: as above; an item without one would be found by no hash
    if (sk !== undefined) byHash.set(sk, item);
  }
  return lookupHashes.map((hash) => {
    const item = byHash.get(lookupKey(clientId, hash).sk.S);
    // Expired items are dropped by core's defineCredentialStore, by the store's clock.
    if (item === undefined) return null;
    const record = recordOf(item);
    // Belt and braces, as findByLookup: the item must describe a record of this client with this hash.
    return record.clientId === clientId && record.lookupHash === hash ? record : null;
  });
}

/** The lookup items of up to 100 hashes, asking again for what DynamoDB leaves unprocessed. */
async function readBatch(ctx: StoreContext, clientId: string, hashes: readonly string[]): Promise<Item[]> {
  // Stryker disable next-line ArrayDeclaration: a stray element without `sk` is answered for no hash
  const found: Item[] = [];
  let request: KeysAndAttributes | undefined = {
    Keys: hashes.map((hash) => lookupKey(clientId, hash)),
    ConsistentRead: true,
  };
  // Stryker disable next-line ConditionalExpression,EqualityOperator: UnprocessedKeys names no table DynamoDB answered whole (never with an empty list)
  for (let attempt = 0; request?.Keys !== undefined && request.Keys.length > 0; attempt++) {
    if (attempt > maxUnprocessedRetries) {
      throw storageUnavailable(storeName, new Error("BatchGetItem left keys unprocessed after retries"));
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the backoff only spends time (no timing in unit tests)
    if (attempt > 0) await raceBackoff(attempt);
    const output: BatchGetItemCommandOutput = await guard(
      ctx.client.send(new BatchGetItemCommand({ RequestItems: { [ctx.tableName]: request } })),
    );
    found.push(...((output.Responses?.[ctx.tableName] ?? []) as Item[]));
    // Stryker disable next-line OptionalChaining: every BatchGetItem answer has UnprocessedKeys (empty when whole)
    request = output.UnprocessedKeys?.[ctx.tableName];
  }
  return found;
}
