import { CredkitError } from "@credkit/core";
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

/** How many replicas a write must reach, and for how long to wait for them (`WAIT`). */
export interface ReplicaWait {
  /** Replicas that must confirm; 0 sends no `WAIT`. */
  readonly replicas: number;
  /** Milliseconds `WAIT` may block, at least 1 (`WAIT n 0` would block forever). */
  readonly timeoutMs: number;
}

/**
 * Runs a writing `script`, then `WAIT replicas timeoutMs` in the same pipeline: on the same connection,
 * so `WAIT` counts this write (it waits for the connection's own last write), and on a cluster on the
 * node that owns the keys' slot (ioredis sends a pipeline to the slot of its keyed commands; `WAIT` has
 * no key). Throws `STORAGE_UNAVAILABLE` when fewer replicas confirm in time: the write is on the primary
 * but a failover may lose it, so the caller must not report it as done.
 */
export async function runScriptAndWait(
  client: RedisClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
  wait: ReplicaWait,
): Promise<unknown> {
  if (wait.replicas <= 0) return runScript(client, script, keys, args);
  let [reply, acked] = await withWait(client, wait, (p) =>
    p.evalsha(script.sha, keys.length, ...keys, ...args),
  );
  if (reply instanceof Error && reply.message.startsWith("NOSCRIPT")) {
    [reply, acked] = await withWait(client, wait, (p) => p.eval(script.lua, keys.length, ...keys, ...args));
  }
  if (reply instanceof Error) throw reply;
  if (acked instanceof Error) throw acked;
  if (typeof acked !== "number" || acked < wait.replicas) {
    throw new CredkitError(
      "STORAGE_UNAVAILABLE",
      `The write reached ${String(acked)} of ${wait.replicas} required Redis replicas within ${wait.timeoutMs} ms; it is not confirmed`,
      { retryAfterSeconds: 1 },
    );
  }
  return reply;
}

type Pipeline = ReturnType<RedisClient["pipeline"]>;

// The script's reply (or its error) and WAIT's count (or its error).
async function withWait(
  client: RedisClient,
  wait: ReplicaWait,
  write: (pipeline: Pipeline) => Pipeline,
): Promise<[unknown, unknown]> {
  const results = await write(client.pipeline()).wait(wait.replicas, wait.timeoutMs).exec();
  if (results?.length !== 2) throw new Error("Unexpected reply from a write followed by WAIT");
  const [[scriptError, reply], [waitError, acked]] = results as [
    [Error | null, unknown],
    [Error | null, unknown],
  ];
  return [scriptError ?? reply, waitError ?? acked];
}
