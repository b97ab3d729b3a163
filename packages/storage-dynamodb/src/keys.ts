import type { AttributeValue } from "@aws-sdk/client-dynamodb";

/** Sort-key prefix of record items: `cred#<credentialId>`. */
export const recordPrefix = "cred#";
/** Sort-key prefix of lookup items: `lookup#<lookupHash>`. */
export const lookupPrefix = "lookup#";
/**
 * Partition-key prefix of lease items. Leases live in their own partitions with the sort key `lease`,
 * which no client partition uses, so a client id that happens to start with `lease#` cannot collide.
 */
export const leasePartitionPrefix = "lease#";
/** Sort key of every lease item. */
export const leaseSortKey = "lease";
/**
 * Partition-key prefixes of the server's shared state: idempotency claims (`idempotency#<key>`, sort
 * key `idempotency`) and rate-limit counters (`counter#<key>`, sort key `counter`). Like leases, their
 * sort keys are used by no client partition, so no client id can collide with them.
 */
export const idempotencyPartitionPrefix = "idempotency#";
/** Partition-key prefix of rate-limit counter items (see {@link idempotencyPartitionPrefix}). */
export const counterPartitionPrefix = "counter#";
/**
 * Partition-key prefixes of the event outbox (see `dynamoDbEventOutbox`): a client's webhooks
 * (`webhook#<clientId>`, sort key `webhook#<webhookId>`), the content of one delivery queue
 * (`outbox-queue#<queue>`, sort key `queue`), a webhook's failed deliveries
 * (`outbox-failed#<clientId>/<webhookId>`, sort key `<failedAt>#<seq>#<deliveryId>`), and the one
 * partition `outbox` whose items (sort key `queue#<queue>`) index the queues that hold entries. No
 * client partition uses these sort keys, so no client id can collide with them.
 */
export const webhookPartitionPrefix = "webhook#";
/** Partition-key prefix of delivery-queue content items (see {@link webhookPartitionPrefix}). */
export const queuePartitionPrefix = "outbox-queue#";
/** Partition-key prefix of failed-delivery items (see {@link webhookPartitionPrefix}). */
export const failedPartitionPrefix = "outbox-failed#";
/** The partition of the queue index items (see {@link webhookPartitionPrefix}). */
export const outboxIndexPartition = "outbox";

/**
 * The partition of the pending-event log: the events each credential write stores in its own
 * transaction (sort key `event#<ISO timestamp>#<eventId>`), removed once relayed to the outbox. The sort
 * key prefix `event#` is used by no client partition, so a client with this id cannot collide.
 */
export const pendingEventsPartition = "events-pending";
/** Sort-key prefix of pending-event items (see {@link pendingEventsPartition}). */
export const pendingEventPrefix = "event#";

/** Name of the TTL attribute (epoch seconds) the table must have enabled. */
export const ttlAttribute = "ttl";

/** A primary key in the SDK's attribute-value form. */
export type ItemKey = { pk: { S: string }; sk: { S: string } };

/** The key of a credential's record item. */
export function recordKey(clientId: string, credentialId: string): ItemKey {
  return { pk: { S: clientId }, sk: { S: `${recordPrefix}${credentialId}` } };
}

/** The key of the lookup item that maps `lookupHash` to a credential of `clientId`. */
export function lookupKey(clientId: string, lookupHash: string): ItemKey {
  return { pk: { S: clientId }, sk: { S: `${lookupPrefix}${lookupHash}` } };
}

/** The key of the lease item `name`. */
export function leaseKey(name: string): ItemKey {
  return { pk: { S: `${leasePartitionPrefix}${name}` }, sk: { S: leaseSortKey } };
}

/** The plain `{pk, sk}` strings of a key returned by DynamoDB, or null when it is not a pk/sk string key. */
export function plainKey(key: Record<string, AttributeValue> | undefined): { pk: string; sk: string } | null {
  const pk = key?.pk?.S;
  const sk = key?.sk?.S;
  return pk === undefined || sk === undefined ? null : { pk, sk };
}

/** The key of the idempotency item for the (already hashed) idempotency key `key`. */
export function idempotencyItemKey(key: string): ItemKey {
  return { pk: { S: `${idempotencyPartitionPrefix}${key}` }, sk: { S: "idempotency" } };
}

/** The key of the counter item `key`. */
export function counterItemKey(key: string): ItemKey {
  return { pk: { S: `${counterPartitionPrefix}${key}` }, sk: { S: "counter" } };
}
