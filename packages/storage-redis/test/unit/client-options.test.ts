import { describe, expect, it } from "vitest";
import {
  recommendedTimeoutMs,
  redisClientOptions,
  redisClusterOptions,
  redisSentinelOptions,
} from "../../src/index.js";

// The recommended options are documented value by value (README, docs/adapters): these pin each one, so
// a changed timeout or a retry strategy that gives up is a visible change, not a silent one.
describe("recommended ioredis options", () => {
  it("fail fast while Redis is down and keep the offline queue for the connect", () => {
    expect(recommendedTimeoutMs).toBe(2000);
    const { retryStrategy, ...rest } = redisClientOptions();
    expect(rest).toEqual({
      connectTimeout: 2000,
      commandTimeout: 2000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
    });
    expect(retryStrategy).toBeTypeOf("function");
  });

  it("reconnect after 100 ms, 200 ms, ... then every 2 s, never giving up", () => {
    const delay = redisClientOptions().retryStrategy as (times: number) => number;
    expect([1, 2, 19, 20, 21, 1000].map(delay)).toEqual([100, 200, 1900, 2000, 2000, 2000]);
  });

  it("give a cluster the per-node options without the per-node retry, and a cluster retry that never gives up", () => {
    const { clusterRetryStrategy, redisOptions, ...rest } = redisClusterOptions();
    expect(rest).toEqual({ enableOfflineQueue: true, slotsRefreshTimeout: 2000 });
    expect(redisOptions).toEqual({ connectTimeout: 2000, commandTimeout: 2000, maxRetriesPerRequest: 1 });
    expect([1, 30, 1000].map(clusterRetryStrategy as (times: number) => number)).toEqual([100, 2000, 2000]);
  });

  it("follow a Sentinel failover at once, asking the Sentinels with the same timeouts and retries", () => {
    const { retryStrategy, sentinelRetryStrategy, ...rest } = redisSentinelOptions();
    expect(rest).toEqual({
      connectTimeout: 2000,
      commandTimeout: 2000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      failoverDetector: true,
      sentinelCommandTimeout: 2000,
    });
    expect([retryStrategy, sentinelRetryStrategy].map((f) => (f as (times: number) => number)(30))).toEqual([
      2000, 2000,
    ]);
  });
});
