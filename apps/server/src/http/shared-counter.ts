import type { SharedCounter } from "@credkit/core";
import { guardRedis } from "@credkit/storage-redis";
import type { Cluster, Redis } from "ioredis";

// The interface is core's, so the DynamoDB counter (in its store package) implements the same one.
export type { SharedCounter } from "@credkit/core";

/** Default bound on the keys one in-process counter holds. */
export const DEFAULT_MAX_COUNTER_KEYS = 100_000;

/**
 * A counter for this process only (the memory-store default). It holds at most `maxKeys` keys whatever
 * the input: past that, lapsed windows are dropped and then the oldest window, so a flood of distinct
 * keys costs a bounded amount of memory (at worst resetting the oldest caller's count early).
 */
export function memoryCounter(
  now: () => number = Date.now,
  maxKeys: number = DEFAULT_MAX_COUNTER_KEYS,
): SharedCounter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  let nextSweep = 0;
  return {
    async hit(key, windowMs) {
      const at = now();
      let window = windows.get(key);
      if (!window || window.resetAt <= at) {
        windows.delete(key);
        // Lapsed windows go at most once a window (not per new key: that would be quadratic in a flood);
        // when full, the oldest window goes, which (one window length for all) is the first to lapse.
        if (at >= nextSweep) {
          for (const [k, w] of windows) if (w.resetAt <= at) windows.delete(k);
          nextSweep = at + windowMs;
        }
        while (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string);
        window = { count: 0, resetAt: at + windowMs };
        windows.set(key, window);
      }
      window.count++;
      return { count: window.count, resetMs: window.resetAt - at };
    },
  };
}

// INCR and the first PEXPIRE in one step, so a crash between them cannot leave a counter that never resets.
const HIT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

/** A counter in Redis, shared by every server process using it (keys expire with their window). */
export function redisCounter(client: Redis | Cluster, prefix: string): SharedCounter {
  return {
    async hit(key, windowMs) {
      const [count, ttl] = (await guardRedis("rate limit", () =>
        client.eval(HIT, 1, `${prefix}${key}`, String(windowMs)),
      )) as [number, number];
      return { count, resetMs: ttl > 0 ? ttl : windowMs };
    },
  };
}
