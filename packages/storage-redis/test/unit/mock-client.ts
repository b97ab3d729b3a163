import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import RedisMock from "ioredis-mock";
import { type RedisStoreConfig, redisStore } from "../../src/index.js";

/**
 * An in-process ioredis-mock client (its Lua runs on fengari, Lua 5.3) and a store on it under a fresh
 * prefix. Mock instances share one keyspace, hence the prefix.
 */
export function mockStore(config: Partial<RedisStoreConfig> = {}) {
  const client: Redis = new RedisMock();
  const keyPrefix = `unit:${randomUUID()}:`;
  return { client, keyPrefix, store: redisStore({ client, keyPrefix, ...config }) };
}
