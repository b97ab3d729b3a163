import {
  addStoreHooks,
  createNearCache,
  defaultNearCacheTtlMs,
  type Invalidation,
  type NearCache,
  type NearCacheOptions,
  type RegionMap,
} from "@credkit/core";
import { publishInvalidation, redisInvalidationChannel } from "@credkit/storage-redis";
import type { Cluster, Redis } from "ioredis";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";

/** The server's verification near cache and what closes its subscription. */
export interface OpenedNearCache {
  cache: NearCache;
  close(): Promise<void>;
}

/**
 * The near cache of this process. With Redis, invalidations travel over pub/sub on a dedicated
 * subscriber connection (every process drops a changed client's verdicts within milliseconds); without
 * it, `ttlMs` alone bounds how long a revoked credential may still verify. Unset, it is core's default
 * for these stores (`defaultNearCacheTtlMs`: on unless every store is the memory store), so the server
 * and an embedding service decide it by the one rule. Hits, misses and invalidations are exported as
 * `credkit_near_cache_*_total`.
 */
export function openNearCache(
  options: Pick<NearCacheOptions, "ttlMs" | "maxEntries">,
  regions: RegionMap,
  redis: Redis | Cluster | null,
  registry: Registry,
  logger: Logger,
): OpenedNearCache {
  // A connection in subscriber mode can run nothing else: the subscription gets its own.
  const subscriber: Redis | Cluster | null = redis ? (redis as Redis).duplicate() : null;
  if (subscriber) {
    let down = false;
    subscriber.on("error", () => {
      if (!down) logger.warn("near cache: invalidation subscription lost; verdicts expire at their bound");
      down = true;
    });
    subscriber.on("ready", () => {
      if (down) logger.info("near cache: invalidation subscription restored");
      down = false;
    });
  }
  const cache = createNearCache({
    ...options,
    ttlMs: options.ttlMs ?? defaultNearCacheTtlMs([...new Set(Object.values(regions))]),
    ...(redis && subscriber ? { channel: redisInvalidationChannel({ client: redis, subscriber }) } : {}),
  });
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counter(
    "credkit_near_cache_hits_total",
    "Verifications answered from the near cache",
    () => cache.stats.hits,
  );
  counter(
    "credkit_near_cache_misses_total",
    "Near cache lookups that asked the store",
    () => cache.stats.misses,
  );
  counter(
    "credkit_near_cache_invalidations_total",
    "Client invalidations applied to the near cache (local writes and pub/sub)",
    () => cache.stats.invalidations,
  );
  return {
    cache,
    async close() {
      await cache.close();
      subscriber?.disconnect();
    },
  };
}

/**
 * Announces every write of `regions`' stores over Redis pub/sub, for jobs that write without a service
 * (the key rotation CLI): the servers' near caches drop what the job changed. Nothing without Redis.
 */
export function announceWrites(regions: RegionMap, redis: Redis | Cluster | null): void {
  if (!redis) return;
  const hooks = {
    write: ({ clientId, credentialId }: Invalidation) =>
      publishInvalidation(redis, { clientId, credentialId }),
  };
  for (const store of new Set(Object.values(regions))) addStoreHooks(store, hooks);
}
