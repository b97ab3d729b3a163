import type { Cluster, Redis } from "ioredis";

/** A fixed-window counter shared by every process of a deployment (or local to this one). */
export interface SharedCounter {
  /** Adds one to `key` in the current window; the count so far and the milliseconds until it resets. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>;
}

/** A counter for this process only (the memory-store default). */
export function memoryCounter(now: () => number = Date.now): SharedCounter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    async hit(key, windowMs) {
      const at = now();
      let window = windows.get(key);
      if (!window || window.resetAt <= at) {
        // Drop lapsed windows as we go so the map cannot grow without bound.
        for (const [k, w] of windows) if (w.resetAt <= at) windows.delete(k);
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

/** A counter in Redis, shared by every server process using it. */
export function redisCounter(client: Redis | Cluster, prefix: string): SharedCounter {
  return {
    async hit(key, windowMs) {
      const [count, ttl] = (await client.eval(HIT, 1, `${prefix}${key}`, String(windowMs))) as [
        number,
        number,
      ];
      return { count, resetMs: ttl > 0 ? ttl : windowMs };
    },
  };
}
