import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { invalidCursor, type StorePosition } from "@credkit/core";
import { plainKey } from "./keys.js";

/**
 * DynamoDB's `LastEvaluatedKey` as a position `[pk, sk]`: plain strings rather than the SDK's
 * attribute-value JSON, so a saved scan cursor stays valid across restarts and SDK upgrades (core's
 * `defineCredentialStore` turns positions into cursors). Null when there is no key (the last page).
 */
export function positionOf(
  lastEvaluatedKey: Record<string, AttributeValue> | undefined,
): StorePosition | null {
  const key = plainKey(lastEvaluatedKey);
  return key === null ? null : [key.pk, key.sk];
}

/** The `ExclusiveStartKey` of a position made by {@link positionOf}; core's cursor error otherwise. */
export function startKeyOf(position: StorePosition): { pk: { S: string }; sk: { S: string } } {
  const [pk, sk] = position;
  if (position.length !== 2 || !pk || !sk) throw invalidCursor();
  return { pk: { S: pk }, sk: { S: sk } };
}
