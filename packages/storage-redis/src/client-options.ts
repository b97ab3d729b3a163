import type { ClusterOptions, RedisOptions } from "ioredis";

/** Milliseconds the recommended options allow for connecting and for one command. */
export const recommendedTimeoutMs = 2000;

// Reconnect quickly at first, then every 2 s at most, forever: the client recovers by itself when
// Redis comes back, with no restart and no new client.
function reconnectDelay(times: number): number {
  return Math.min(times * 100, 2000);
}

/**
 * Recommended options for a standalone ioredis `Redis` used by a credential store, so that calls fail
 * fast while Redis is down and the client reconnects by itself:
 * - `connectTimeout` / `commandTimeout` 2000 ms: a dead socket or a silent server cannot hang a call;
 * - `maxRetriesPerRequest: 1`: queued commands are rejected after one failed reconnect instead of 20;
 * - the offline queue stays on (commands sent while connecting wait, bounded by `commandTimeout`);
 * - `retryStrategy`: reconnect after 100 ms, 200 ms, ... up to every 2 s, never giving up.
 * Spread your own options (host, port, password, tls, ...) over it: `new Redis(url, redisClientOptions())`.
 */
export function redisClientOptions(): RedisOptions {
  return {
    connectTimeout: recommendedTimeoutMs,
    commandTimeout: recommendedTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: reconnectDelay,
  };
}

/**
 * Recommended options for an ioredis `Cluster`: the per-node options of {@link redisClientOptions}, and a
 * cluster retry strategy that never gives up. The cluster-level offline queue has no timeout of its own
 * in ioredis, which is why the store also bounds every call (`RedisStoreConfig.timeoutMs`).
 */
export function redisClusterOptions(): ClusterOptions {
  const { retryStrategy: _perNode, enableOfflineQueue: _queue, ...node } = redisClientOptions();
  return {
    redisOptions: node,
    enableOfflineQueue: true,
    clusterRetryStrategy: reconnectDelay,
    slotsRefreshTimeout: recommendedTimeoutMs,
  };
}

/**
 * Recommended options for an ioredis `Redis` behind Redis Sentinel: those of {@link redisClientOptions},
 * plus `failoverDetector: true` (ioredis subscribes to the Sentinels' `+switch-master` and moves to the
 * new primary at once, rather than writing on to a demoted or frozen one until an error), asking the
 * Sentinels with the same timeouts and retrying them forever. Add `sentinels`, `name` (the master's name),
 * and `sentinelPassword` / `password` as needed:
 * `new Redis({ ...redisSentinelOptions(), sentinels: [{ host, port }], name: "mymaster" })`.
 */
export function redisSentinelOptions(): RedisOptions {
  return {
    ...redisClientOptions(),
    failoverDetector: true,
    sentinelCommandTimeout: recommendedTimeoutMs,
    sentinelRetryStrategy: reconnectDelay,
  };
}
