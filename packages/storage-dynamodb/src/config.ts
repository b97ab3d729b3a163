import type { DynamoDBClient, DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";

/** Configuration of {@link dynamoDbStore}. */
export interface DynamoDbStoreConfig {
  /**
   * The client to use. The caller owns it: it chooses region, credentials, endpoint, retries and
   * timeouts (see {@link recommendedClientConfig}) and destroys it; the store never does.
   */
  client: DynamoDBClient;
  /** The table (pk/sk string keys, TTL on `ttl`), e.g. made by `createCredkitTable`. At least 3 chars. */
  tableName: string;
  /** Clock in epoch milliseconds that expiry is judged by. Default `Date.now`. */
  now?: () => number;
  /**
   * How many times an operation starts over after losing a race it can recover from (a
   * `TransactionConflict`, or a record that changed between the two requests of a multi-step delete).
   * Default 5; after that the operation throws STORAGE_UNAVAILABLE.
   */
  maxRaceRetries?: number;
}

/** Default of {@link DynamoDbStoreConfig.maxRaceRetries}. */
export const defaultMaxRaceRetries = 5;

/**
 * Client settings credkit recommends, to spread into `new DynamoDBClient({...})` beside region and
 * endpoint. The SDK's standard retry strategy retries throttling (`ThrottlingException`,
 * `ProvisionedThroughputExceededException`) and transient errors with jittered exponential backoff
 * up to `maxAttempts` attempts; the timeouts bound each attempt so an unreachable endpoint fails in
 * seconds (as STORAGE_UNAVAILABLE, HTTP 503) instead of hanging a request.
 */
export const recommendedClientConfig = {
  /** Attempts per request, the first included (the SDK's DynamoDB default is also 4). */
  maxAttempts: 4,
  requestHandler: {
    /** Milliseconds to establish a connection. */
    connectionTimeout: 1_000,
    /** Milliseconds an attempt (request and response) may take before it is abandoned and retried. */
    requestTimeout: 3_000,
    /** Without this the SDK only logs a warning when `requestTimeout` passes. */
    throwOnRequestTimeout: true,
  },
} satisfies DynamoDBClientConfig;
