import type { DynamoDBClient, DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { CredkitError } from "@credkit/core";

/** Configuration of {@link dynamoDbIdempotencyStore} and {@link dynamoDbCounter}: the credkit table. */
export interface DynamoDbSharedStateConfig {
  /** The client; the caller owns it (as for the store). */
  client: DynamoDBClient;
  /** The credkit table the store uses: no other table is needed. */
  tableName: string;
  /**
   * Clock in epoch milliseconds that expiry is judged by. Default `Date.now`. Processes sharing the
   * table compare their own clocks with the expiry written by others: keep clocks in sync (NTP).
   */
  now?: () => number;
}

/** The resolved configuration. */
export interface SharedContext {
  client: DynamoDBClient;
  tableName: string;
  now: () => number;
}

/** Checks and resolves a {@link DynamoDbSharedStateConfig}. */
export function sharedContext(config: DynamoDbSharedStateConfig): SharedContext {
  if (config.tableName.length < 3) {
    throw new CredkitError("CONFIGURATION_ERROR", "A DynamoDB table name needs at least 3 characters");
  }
  return { client: config.client, tableName: config.tableName, now: config.now ?? Date.now };
}

/**
 * Client settings for {@link dynamoDbCounter} and {@link dynamoDbIdempotencyStore}, to spread into a
 * `new DynamoDBClient({...})` of their own beside region and endpoint. Unlike the store's
 * (`recommendedClientConfig`), the SDK must not retry: an increment whose answer was lost (a timeout
 * while DynamoDB had applied it) would count twice if sent again, so each write is sent once, given
 * time to answer, and a failure is STORAGE_UNAVAILABLE (the request gets 503, never a free pass).
 */
export const sharedStateClientConfig = {
  maxAttempts: 1,
  requestHandler: {
    /** Milliseconds to establish a connection (nothing was sent yet, but there is no second try). */
    connectionTimeout: 3_000,
    /** Milliseconds the one attempt may take: generous, since a timeout cannot be retried. */
    requestTimeout: 10_000,
    throwOnRequestTimeout: true,
  },
} satisfies DynamoDBClientConfig;
