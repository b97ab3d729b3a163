import { availableParallelism } from "node:os";
import type { StorageConfig } from "./config-schema.js";
import { configError, type Env, integerVar } from "./env-vars.js";

/** How the server scales: worker processes and the verification near cache. */
export interface ScalingConfig {
  /** Worker processes sharing the ports (`CREDKIT_WORKERS`); 1 = no cluster, the process serves itself. */
  workers: number;
  /** Milliseconds a verification verdict may be served from the near cache; 0 = off. */
  nearCacheTtlMs: number;
  /** At most this many verdicts are kept per process. */
  nearCacheMaxEntries: number;
}

/** `CREDKIT_WORKERS`: `1` (default), a number, or `auto` (the available cores). */
function workers(env: Env): number {
  const raw = env.CREDKIT_WORKERS?.trim();
  if (raw === undefined || raw === "") return 1;
  if (raw.toLowerCase() === "auto") return availableParallelism();
  return integerVar(env, "CREDKIT_WORKERS", 1, 1, 256);
}

/**
 * Reads the scaling variables. Several workers over the memory store are refused: each process would
 * hold its own credentials, so a credential created through one worker would be unknown to the others.
 */
export function loadScalingConfig(env: Env, regions: Record<string, StorageConfig>): ScalingConfig {
  const count = workers(env);
  const memory = Object.values(regions).some((storage) => storage.storage === "memory");
  if (count > 1 && memory) {
    throw configError([
      {
        path: "CREDKIT_WORKERS",
        message: `must be 1 with the memory store: ${count} worker processes would each keep their own credentials (a credential created through one would be unknown to the others). Use redis or dynamodb storage to run several workers`,
      },
    ]);
  }
  if (count > 1 && !env.CREDKIT_USER_TOKENS) {
    throw configError([
      {
        path: "CREDKIT_USER_TOKENS",
        message: `is required with CREDKIT_WORKERS=${count}: each worker would otherwise generate its own admin token`,
      },
    ]);
  }
  const durable = Object.values(regions).some((storage) => storage.storage !== "memory");
  return {
    workers: count,
    nearCacheTtlMs: integerVar(env, "CREDKIT_NEAR_CACHE_TTL_MS", durable ? 5000 : 0, 0, 60_000),
    nearCacheMaxEntries: integerVar(env, "CREDKIT_NEAR_CACHE_MAX_ENTRIES", 10_000, 1, 10_000_000),
  };
}
