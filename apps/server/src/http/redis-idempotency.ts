import type { IdempotencyEntry, IdempotencyStore } from "@credkit/express";
import { guardRedis } from "@credkit/storage-redis";
import type { Cluster, Redis } from "ioredis";

/**
 * Idempotency keys in Redis, shared by every server process (a retry may reach another one). Keys and
 * fingerprints arrive as keyed hashes; a Redis failure is STORAGE_UNAVAILABLE (503), never a raw error.
 */
export function redisIdempotencyStore(client: Redis | Cluster, prefix: string): IdempotencyStore {
  const parse = (value: string | null): IdempotencyEntry | null =>
    value === null ? null : JSON.parse(value);
  const guarded = <T>(op: () => Promise<T>) => guardRedis("idempotency", op);
  return {
    async claim(key, fingerprint, ttlMs) {
      const claimed = await guarded(() =>
        client.set(`${prefix}${key}`, JSON.stringify({ fingerprint }), "PX", ttlMs, "NX"),
      );
      if (claimed === "OK") return null;
      // Held by someone; if it lapsed in between, report it as in progress rather than racing again.
      return parse(await guarded(() => client.get(`${prefix}${key}`))) ?? { fingerprint };
    },
    async complete(key, entry, ttlMs) {
      await guarded(() => client.set(`${prefix}${key}`, JSON.stringify(entry), "PX", ttlMs));
    },
    async release(key) {
      await guarded(() => client.del(`${prefix}${key}`));
    },
  };
}
