import type { IdempotencyStore, SharedCounter } from "@credkit/core";
import { memoryIdempotencyStore } from "@credkit/express";
import { dynamoDbCounter, dynamoDbIdempotencyStore } from "@credkit/storage-dynamodb";
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
 * A counter shared by every process of the deployment, under its own key `prefix` (e.g.
 * `credkit:ratelimit:`): in Redis, else in the DynamoDB table, else in this process only (memory
 * stores run one process).
 */
export function sharedCounter(
  stores: Pick<OpenedStores, "redis" | "dynamodb">,
  prefix: string,
): SharedCounter {
  if (stores.redis) return redisCounter(stores.redis, prefix);
  if (stores.dynamodb) {
    const counter = dynamoDbCounter(stores.dynamodb);
    return { hit: (key, windowMs) => counter.hit(`${prefix}${key}`, windowMs) };
  }
  return memoryCounter();
}

/** The idempotency store shared by every process: in Redis, else in the DynamoDB table, else in process. */
export function sharedIdempotencyStore(stores: Pick<OpenedStores, "redis" | "dynamodb">): IdempotencyStore {
  if (stores.redis) return redisIdempotencyStore(stores.redis, "credkit:idempotency:");
  if (stores.dynamodb) return dynamoDbIdempotencyStore(stores.dynamodb);
  return memoryIdempotencyStore();
}
