import type { IdempotencyStore, SharedCounter } from "@credkit/core";
import { memoryIdempotencyStore } from "@credkit/express";
import { dynamoDbCounter, dynamoDbIdempotencyStore } from "@credkit/storage-dynamodb";
import { defaultKeyPrefix } from "@credkit/storage-redis";
import type { OpenedStores } from "../stores.js";
import { redisIdempotencyStore } from "./redis-idempotency.js";
import { memoryCounter, redisCounter } from "./shared-counter.js";

/** Where the state every process must share lives: Redis, else the DynamoDB table, else this process (memory). */
export type SharedStateBackend = "redis" | "dynamodb" | "memory";

/** The backend of the shared state for these stores: Redis when there is one, else DynamoDB. */
export function sharedStateBackend(stores: Pick<OpenedStores, "redis" | "dynamodb">): SharedStateBackend {
  return stores.redis ? "redis" : stores.dynamodb ? "dynamodb" : "memory";
}

/**
 * The Redis key prefix of the deployment's shared state: its `CREDKIT_REDIS_KEY_PREFIX`, as its records
 * use, so two deployments on one Redis never share a counter or an idempotency key.
 */
function redisPrefix(stores: Pick<OpenedStores, "redisKeyPrefix">): string {
  return stores.redisKeyPrefix ?? defaultKeyPrefix;
}

/**
 * A counter shared by every process of the deployment, named `name` (e.g. `ratelimit`): in Redis under
 * the deployment's key prefix (`credkit:ratelimit:` by default), else in the DynamoDB table, else in
 * this process only (memory stores run one process).
 */
export function sharedCounter(
  stores: Pick<OpenedStores, "redis" | "dynamodb" | "redisKeyPrefix">,
  name: string,
): SharedCounter {
  if (stores.redis) return redisCounter(stores.redis, `${redisPrefix(stores)}${name}:`);
  if (stores.dynamodb) {
    const counter = dynamoDbCounter(stores.dynamodb);
    // The table isolates a deployment already; the namespace keeps counters apart inside it.
    return { hit: (key, windowMs) => counter.hit(`credkit:${name}:${key}`, windowMs) };
  }
  return memoryCounter();
}

/** The idempotency store shared by every process: in Redis, else in the DynamoDB table, else in process. */
export function sharedIdempotencyStore(
  stores: Pick<OpenedStores, "redis" | "dynamodb" | "redisKeyPrefix">,
): IdempotencyStore {
  if (stores.redis) return redisIdempotencyStore(stores.redis, `${redisPrefix(stores)}idempotency:`);
  if (stores.dynamodb) return dynamoDbIdempotencyStore(stores.dynamodb);
  return memoryIdempotencyStore();
}
