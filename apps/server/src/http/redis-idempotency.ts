import type { IdempotencyEntry, IdempotencyStore } from "@credkit/express";
import type { Cluster, Redis } from "ioredis";

/** Idempotency keys in Redis, shared by every server process (a retry may reach another one). */
export function redisIdempotencyStore(client: Redis | Cluster, prefix: string): IdempotencyStore {
  const parse = (value: string | null): IdempotencyEntry | null =>
    value === null ? null : JSON.parse(value);
  return {
    async claim(key, fingerprint, ttlMs) {
      const claimed = await client.set(`${prefix}${key}`, JSON.stringify({ fingerprint }), "PX", ttlMs, "NX");
      if (claimed === "OK") return null;
      // Held by someone; if it lapsed in between, report it as in progress rather than racing again.
      return parse(await client.get(`${prefix}${key}`)) ?? { fingerprint };
    },
    async complete(key, entry, ttlMs) {
      await client.set(`${prefix}${key}`, JSON.stringify(entry), "PX", ttlMs);
    },
    async release(key) {
      await client.del(`${prefix}${key}`);
    },
  };
}
