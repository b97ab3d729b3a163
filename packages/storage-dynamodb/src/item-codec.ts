import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { StoredCredential } from "@credkit/core";
import { CredkitError, isExpired } from "@credkit/core";
import { lookupKey, recordKey, ttlAttribute } from "./keys.js";

/** An item in the SDK's attribute-value form. */
export type Item = Record<string, AttributeValue>;

/**
 * The attributes both item kinds share. The whole record is one JSON string (`data`) so the store
 * returns it unchanged, field for field, whatever fields core adds later; the attributes conditions and
 * filters need are copied beside it: `version`, `temporary`, `expiresAt` (epoch ms), `lookupHash`, and
 * `ttl` (epoch seconds, rounded up) for DynamoDB's TTL sweeper. Absent values are absent attributes, so
 * `attribute_not_exists` reads as "null".
 */
function sharedAttributes(record: StoredCredential): Item {
  const item: Item = {
    data: { S: JSON.stringify(record) },
    credentialId: { S: record.credentialId },
    version: { N: String(record.version) },
    temporary: { BOOL: record.temporary },
  };
  if (record.expiresAt !== null) {
    item.expiresAt = { N: String(record.expiresAt) };
    item[ttlAttribute] = { N: String(ttlSeconds(record.expiresAt)) };
  }
  if (record.lookupHash !== null) item.lookupHash = { S: record.lookupHash };
  return item;
}

/** The record item: `pk = clientId`, `sk = cred#<credentialId>`. */
export function recordItem(record: StoredCredential): Item {
  return { ...recordKey(record.clientId, record.credentialId), ...sharedAttributes(record) };
}

/**
 * The lookup item of a record with a `lookupHash`: `sk = lookup#<hash>`, holding a full copy of the
 * record so `findByLookup` is one GetItem. Every write that changes the record rewrites the copy in the
 * same transaction.
 */
export function lookupItem(record: StoredCredential & { lookupHash: string }): Item {
  return { ...lookupKey(record.clientId, record.lookupHash), ...sharedAttributes(record) };
}

/** Epoch seconds for DynamoDB TTL, rounded up so the sweeper never deletes a record before it expires. */
export function ttlSeconds(expiresAtMs: number): number {
  return Math.ceil(expiresAtMs / 1000);
}

/** The record held in an item (record or lookup), or throws when the item is not one this store wrote. */
export function recordOf(item: Item): StoredCredential {
  const data = item.data?.S;
  // Stryker disable next-line ConditionalExpression: JSON.parse(undefined) throws too, the same STORAGE_UNAVAILABLE
  if (data === undefined) throw corruptItem();
  try {
    return JSON.parse(data) as StoredCredential;
  } catch (cause) {
    throw corruptItem(cause);
  }
}

/** The stored version of an item, read from the indexed attribute conditions compare. */
export function versionOf(item: Item): number {
  const version = item.version?.N;
  // Without one, a compare-and-set would read NaN and answer VERSION_CONFLICT for a record it cannot read.
  if (version === undefined) throw corruptItem();
  return Number(version);
}

/** The stored lookup hash of an item, or null. */
export function lookupHashOf(item: Item): string | null {
  return item.lookupHash?.S ?? null;
}

/**
 * True when the item holds a record that is live at `now` (core's `isExpired`), for the writes that
 * read an item before their conditional request (remove, update); reads leave expiry to core.
 */
export function isLive(item: Item, now: number): boolean {
  const expiresAt = item.expiresAt?.N;
  // Stryker disable next-line ConditionalExpression: Number(undefined) is NaN, which isExpired reads as never expiring, as null
  return !isExpired({ expiresAt: expiresAt === undefined ? null : Number(expiresAt) }, now);
}

function corruptItem(cause?: unknown): CredkitError {
  return new CredkitError("STORAGE_UNAVAILABLE", "The dynamodb store returned an item it cannot read", {
    cause,
  });
}
