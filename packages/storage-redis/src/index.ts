export {
  recommendedTimeoutMs,
  redisClientOptions,
  redisClusterOptions,
  redisSentinelOptions,
} from "./client-options.js";
export {
  defaultRegistryMemoryMs,
  defaultTimeoutMs,
  defaultWaitTimeoutMs,
  type RedisStoreConfig,
} from "./config.js";
export { guardRedis } from "./guard.js";
export {
  defaultInvalidationChannel,
  publishInvalidation,
  type RedisInvalidationChannelConfig,
  redisInvalidationChannel,
} from "./invalidation-channel.js";
export { defaultKeyPrefix, type RedisKeys, redisKeys } from "./keys.js";
export { type RedisEventOutboxConfig, redisEventOutbox } from "./redis-outbox.js";
export { type RedisStore, redisStore } from "./redis-store.js";
export type { RedisClient } from "./run-script.js";
export { reconnectAfterFailover } from "./sentinel-reconnect.js";
