import { type Env, redisSentinelVars, redisWaitVars } from "./env-vars.js";

/**
 * The storage-wide variables (`CREDKIT_DYNAMODB_*`, `CREDKIT_REDIS_*`) as defaults for the entries of a
 * region map, applied to the raw JSON before it is validated: an entry's own field always wins, so one
 * DynamoDB Local endpoint or one table name need not be repeated in every entry.
 */
export function withStorageDefaults(map: unknown, env: Env): unknown {
  if (typeof map !== "object" || map === null || Array.isArray(map)) return map;
  const nodes = env.CREDKIT_REDIS_CLUSTER_NODES?.split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  const createTable = env.CREDKIT_DYNAMODB_CREATE_TABLE;
  const defaults: Record<string, Record<string, unknown>> = {
    dynamodb: {
      table: env.CREDKIT_DYNAMODB_TABLE || undefined,
      endpoint: env.CREDKIT_DYNAMODB_ENDPOINT || undefined,
      createTable: createTable ? /^(true|1)$/i.test(createTable) : undefined,
    },
    redis: {
      keyPrefix: env.CREDKIT_REDIS_KEY_PREFIX || undefined,
      ...redisWaitVars(env),
    },
  };
  return Object.fromEntries(
    Object.entries(map).map(([region, entry]) => {
      if (typeof entry !== "object" || entry === null) return [region, entry];
      const kind = (entry as { storage?: unknown }).storage;
      const base = { ...(typeof kind === "string" ? defaults[kind] : undefined) };
      if (kind === "redis" && !("url" in entry) && !("clusterNodes" in entry) && !("sentinels" in entry)) {
        if (env.CREDKIT_REDIS_URL) base.url = env.CREDKIT_REDIS_URL;
        else if (nodes?.length) base.clusterNodes = nodes;
        else Object.assign(base, redisSentinelVars(env));
      }
      const filled = Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined));
      return [region, { ...filled, ...entry }];
    }),
  );
}
