import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { CredkitError, defineCredentialStore, type StoreDriver } from "@credkit/core";
import { confirmAnswer, withConsumedCapacity } from "./answer-shape.js";
import { type DynamoDbStoreConfig, defaultMaxRaceRetries } from "./config.js";
import { type StoreContext, storeName } from "./context.js";
import { createRecord } from "./create.js";
import { acquireLease, releaseLease } from "./leases.js";
import { findRecordsByLookups } from "./lookup-batch.js";
import { readPendingEvents, removePendingEvents } from "./pending-events.js";
import { findRecordByLookup, getRecord, listRecords, scanRecords } from "./reads.js";
import { removeRecord } from "./remove.js";
import { guard } from "./sdk-errors.js";
import { updateRecord } from "./update.js";

// A key no credkit item uses: ping reads it with the same permission every other read needs.
const pingKey = { pk: { S: "credkit#ping" }, sk: { S: "ping" } };

/**
 * A `CredentialStore` on one DynamoDB table (single-table design, see the README for the item
 * layout and the request count of every operation). The client is injected and never destroyed. Built
 * by core's `defineCredentialStore`, which applies the rules every store shares; conditions and filters
 * restate only the expiry rule, where a write or a page must agree with it.
 */
export function dynamoDbStore(config: DynamoDbStoreConfig) {
  if (config.tableName.length < 3) {
    throw new CredkitError("CONFIGURATION_ERROR", "A DynamoDB table name needs at least 3 characters");
  }
  const ctx: StoreContext = {
    client: config.client,
    tableName: config.tableName,
    now: config.now ?? Date.now,
    maxRaceRetries: config.maxRaceRetries ?? defaultMaxRaceRetries,
  };
  const driver = {
    name: storeName,
    create: (record, events) => createRecord(ctx, record, events),
    get: (clientId, credentialId) => getRecord(ctx, clientId, credentialId),
    list: (clientId, options) => listRecords(ctx, clientId, options),
    update: (next, expectedVersion, previousLookupHash?, events?) =>
      updateRecord(ctx, next, expectedVersion, previousLookupHash, events),
    delete: async (clientId, credentialId, events, read) =>
      (await removeRecord(ctx, clientId, credentialId, events, read)) !== null,
    consume: (clientId, credentialId, events) => removeRecord(ctx, clientId, credentialId, events),
    pendingEvents: (limit) => readPendingEvents(ctx, limit),
    removePendingEvents: (events) => removePendingEvents(ctx, events),
    findByLookup: (clientId, lookupHash) => findRecordByLookup(ctx, clientId, lookupHash),
    findByLookups: (clientId, lookupHashes) => findRecordsByLookups(ctx, clientId, lookupHashes),
    scan: (options) => scanRecords(ctx, options),
    acquireLease: (name, owner, ttlMs) => acquireLease(ctx, name, owner, ttlMs),
    releaseLease: (name, owner) => releaseLease(ctx, name, owner),
    async ping() {
      const output = await guard(
        ctx.client.send(
          new GetItemCommand({ TableName: ctx.tableName, Key: pingKey, ...withConsumedCapacity }),
        ),
      );
      // A 200 from any HTTP service would otherwise pass the start check and /readyz.
      // Stryker disable next-line StringLiteral: the operation's name is only error-message text
      confirmAnswer(ctx, output, "GetItem");
    },
    // Nothing to release: no timers, and the client belongs to the caller.
    async close() {},
  } satisfies StoreDriver;
  return defineCredentialStore(driver, { now: ctx.now });
}
