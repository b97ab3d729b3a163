import { CredkitError, type FieldError } from "@credkit/core";

/** The environment a configuration is read from (`process.env` or a test's own object). */
export type Env = Record<string, string | undefined>;

/** A CONFIGURATION_ERROR listing every variable at fault with what it must be (never its value). */
export function configError(problems: FieldError[]): CredkitError {
  const lines = problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n");
  return new CredkitError("CONFIGURATION_ERROR", `Invalid configuration:\n${lines}`, { errors: problems });
}

/** The integer in variable `name`, `fallback` when unset or empty; a CONFIGURATION_ERROR naming it outside min..max. */
export function integerVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw configError([{ path: name, message: `must be an integer from ${min} to ${max}` }]);
  }
  return value;
}

/** The Sentinel variables as fields of a redis storage entry (unset variables left out). */
export function redisSentinelVars(env: Env): Record<string, unknown> {
  const sentinels = env.CREDKIT_REDIS_SENTINELS?.split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  if (!sentinels?.length) return {};
  return {
    sentinels,
    sentinelName: env.CREDKIT_REDIS_SENTINEL_NAME || undefined,
    sentinelPassword: env.CREDKIT_REDIS_SENTINEL_PASSWORD || undefined,
    password: env.CREDKIT_REDIS_PASSWORD || undefined,
  };
}

/** `CREDKIT_REDIS_WAIT_REPLICAS` / `CREDKIT_REDIS_WAIT_TIMEOUT_MS` as fields of a redis storage entry. */
export function redisWaitVars(env: Env): Record<string, unknown> {
  const optional = (name: string, min: number, max: number) =>
    env[name] ? integerVar(env, name, min, min, max) : undefined;
  return {
    waitReplicas: optional("CREDKIT_REDIS_WAIT_REPLICAS", 0, 16),
    waitTimeoutMs: optional("CREDKIT_REDIS_WAIT_TIMEOUT_MS", 1, 60_000),
  };
}
