import type { Cluster, Redis } from "ioredis";
import type { LuaScript } from "./scripts.js";

/** The injected client: a standalone `Redis` or a `Cluster` (ioredis). */
export type RedisClient = Redis | Cluster;

/**
 * Runs `script` with EVALSHA (one round trip once cached) and falls back to EVAL when the server answers
 * NOSCRIPT (first use, restart, SCRIPT FLUSH, failover). EVAL also loads the script into the cache.
 * On a cluster both are routed by the first key, so the fallback reaches the same node.
 */
export async function runScript(
  client: RedisClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return await client.eval(script.lua, keys.length, ...keys, ...args);
  }
}
