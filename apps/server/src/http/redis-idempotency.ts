import type { IdempotencyEntry, IdempotencyStore } from "@credkit/express";
import { guardRedis } from "@credkit/storage-redis";
import type { Cluster, Redis } from "ioredis";

// "Still this owner's live claim": the key exists (an expired claim is gone, PX) and names the owner
// (a completed entry names none), checked and written in one step.
const HELD = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, held = pcall(cjson.decode, v)
if not ok or type(held) ~= 'table' or held.owner ~= ARGV[1] then return 0 end`;
const COMPLETE = `${HELD}
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;
const RELEASE = `${HELD}
return redis.call('DEL', KEYS[1])`;

/**
 * Idempotency keys in Redis, shared by every server process (a retry may reach another one). A claim
 * is `SET NX PX inProgressMs` of `{fingerprint, owner}`, so a request whose process died blocks its key
 * only that long; complete (kept `ttlMs`) and release are scripts fenced by the owner. Keys and
 * fingerprints arrive as keyed hashes; a Redis failure is STORAGE_UNAVAILABLE (503).
 */
export function redisIdempotencyStore(client: Redis | Cluster, prefix: string): IdempotencyStore {
  const parse = (value: string | null): IdempotencyEntry | null => {
    if (value === null) return null;
    const { owner: _owner, ...entry } = JSON.parse(value) as IdempotencyEntry & { owner?: string };
    return entry;
  };
  const guarded = <T>(op: () => Promise<T>) => guardRedis("idempotency", op);
  return {
    async claim(key, { fingerprint, owner, inProgressMs }) {
      const value = JSON.stringify({ fingerprint, owner });
      const claimed = await guarded(() => client.set(`${prefix}${key}`, value, "PX", inProgressMs, "NX"));
      if (claimed === "OK") return null;
      // Held by someone; if it lapsed in between, report it as in progress rather than racing again.
      return parse(await guarded(() => client.get(`${prefix}${key}`))) ?? { fingerprint };
    },
    async complete(key, owner, entry, ttlMs) {
      const done = await guarded(() =>
        client.eval(COMPLETE, 1, `${prefix}${key}`, owner, JSON.stringify(entry), String(ttlMs)),
      );
      return done === 1;
    },
    async release(key, owner) {
      await guarded(() => client.eval(RELEASE, 1, `${prefix}${key}`, owner));
    },
  };
}
