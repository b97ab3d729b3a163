import { readFileSync } from "node:fs";
import {
  createAddressPolicy,
  isCredkitError,
  isValidRegionName,
  parseAllowHosts,
  parseOrThrow,
} from "@credkit/core";
import type { UserToken } from "@credkit/express";
import type * as z from "zod";
import { type AuthzListenConfig, authzListenConfig } from "./authz/config.js";
import {
  defaultRegions,
  fileConfigSchema,
  keyringSchema,
  type StorageConfig,
  storageSchema,
  userTokenSchema,
} from "./config-schema.js";
import { configError, type Env, integerVar, redisSentinelVars, redisWaitVars } from "./env-vars.js";
import { type LimitsConfig, limitsFromEnv } from "./limits-config.js";
import type { LogFormat } from "./logger.js";
import { withStorageDefaults } from "./region-defaults.js";
import { loadScalingConfig, type ScalingConfig } from "./scaling-config.js";

/** The server's whole configuration, validated. */
export interface ServerConfig extends AuthzListenConfig, ScalingConfig {
  port: number;
  host: string | undefined;
  /** Region → where its credentials live. */
  regions: Record<string, StorageConfig>;
  defaultRegion: string | undefined;
  /** Null: generate one token at start and print it. */
  tokens: UserToken[] | null;
  /** Null: no key configured (allowed only when every region is in memory). */
  keyring: { id?: string; key: string; active?: boolean }[] | null;
  bodyLimit: string;
  /** Loopback/private hosts, addresses or CIDRs that token and JWKS fetches may still reach. */
  outboundAllowHosts: string[];
  logLevel: string;
  /** `CREDKIT_LOG_FORMAT`: how log lines write levels and times. */
  logFormat: LogFormat;
  shutdownTimeoutMs: number;
  /** Requests per token per minute; 0 = no limit. */
  rateLimitPerMinute: number;
  /** Origins allowed to call the API from a browser (CORS); empty = none. */
  corsOrigins: string[];
  /** Milliseconds after which an unanswered request gets a 503. */
  requestTimeoutMs: number;
  /** How long an `Idempotency-Key` is remembered. */
  idempotencyTtlSeconds: number;
  /** Milliseconds an `Idempotency-Key` stays claimed by a request that never finished (its process died). */
  idempotencyInProgressMs: number;
  /** Seconds an oauth2 authorization-code credential waits for its callback before it expires. */
  oauthPendingTtlSeconds: number;
  /** Rate limits, trusted proxies and JWKS cooldown (see limits-config.ts). */
  limits: LimitsConfig;
}

/** Parses JSON from a variable, naming the variable (never its value) when it is not JSON. */
function jsonVar(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw configError([{ path: name, message: "is not valid JSON" }]);
  }
}

/** Validates with zod, re-labelling field paths under the variable's name. */
function check<S extends z.ZodType>(name: string, schema: S, value: unknown): z.output<S> {
  try {
    return parseOrThrow(schema, value);
  } catch (error) {
    if (isCredkitError(error) && error.errors) {
      throw configError(
        error.errors.map((e) => ({
          path: e.path === "body" ? name : `${name}.${e.path}`,
          message: e.message,
        })),
      );
    }
    throw error;
  }
}

/** The variable each field of a storage-wide configuration comes from. */
const storageVariables: Record<string, string> = {
  url: "CREDKIT_REDIS_URL",
  clusterNodes: "CREDKIT_REDIS_CLUSTER_NODES",
  keyPrefix: "CREDKIT_REDIS_KEY_PREFIX",
  table: "CREDKIT_DYNAMODB_TABLE",
  endpoint: "CREDKIT_DYNAMODB_ENDPOINT",
  createTable: "CREDKIT_DYNAMODB_CREATE_TABLE",
};

/** The one storage every region uses when `CREDKIT_STORAGE` says so. */
function uniformStorage(env: Env): StorageConfig {
  const kind = env.CREDKIT_STORAGE ?? "memory";
  const nodes = env.CREDKIT_REDIS_CLUSTER_NODES?.split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  const candidate =
    kind === "redis"
      ? {
          storage: "redis",
          url: env.CREDKIT_REDIS_URL,
          clusterNodes: nodes,
          ...redisSentinelVars(env),
          ...redisWaitVars(env),
          keyPrefix: env.CREDKIT_REDIS_KEY_PREFIX,
        }
      : kind === "dynamodb"
        ? {
            storage: "dynamodb",
            table: env.CREDKIT_DYNAMODB_TABLE,
            endpoint: env.CREDKIT_DYNAMODB_ENDPOINT,
            // Where the SDK would look anyway, made explicit so the start line and the served region say it.
            region: env.AWS_REGION || undefined,
            createTable: booleanVar(env, "CREDKIT_DYNAMODB_CREATE_TABLE"),
          }
        : { storage: kind };
  const withoutUndefined = Object.fromEntries(Object.entries(candidate).filter(([, v]) => v !== undefined));
  if (
    kind === "redis" &&
    !withoutUndefined.url &&
    !withoutUndefined.clusterNodes &&
    !withoutUndefined.sentinels
  ) {
    throw configError([
      {
        path: "CREDKIT_REDIS_URL",
        message:
          "is required with CREDKIT_STORAGE=redis (or set CREDKIT_REDIS_CLUSTER_NODES, or CREDKIT_REDIS_SENTINELS)",
      },
    ]);
  }
  if (kind === "dynamodb" && !withoutUndefined.table) {
    throw configError([
      { path: "CREDKIT_DYNAMODB_TABLE", message: "is required with CREDKIT_STORAGE=dynamodb" },
    ]);
  }
  try {
    return parseOrThrow(storageSchema, withoutUndefined);
  } catch (error) {
    if (isCredkitError(error) && error.errors?.[0]?.path === "storage") {
      throw configError([{ path: "CREDKIT_STORAGE", message: "must be one of: memory, redis, dynamodb" }]);
    }
    const first = isCredkitError(error) ? error.errors?.[0] : undefined;
    if (kind === "dynamodb" && first?.path === "region") {
      throw configError([{ path: "AWS_REGION", message: "must be an AWS region name such as us-east-1" }]);
    }
    // Blame the variable that holds the bad value (a missing http://), not CREDKIT_STORAGE.
    const variable = first ? storageVariables[first.path.split(".")[0] as string] : undefined;
    if (first && variable) throw configError([{ path: variable, message: first.message }]);
    throw configError([
      { path: `CREDKIT_STORAGE=${kind}`, message: first ? `${first.path} ${first.message}` : "is invalid" },
    ]);
  }
}

/** Reads and validates the configuration from the environment (and the file `CREDKIT_CONFIG` names). */
export function loadConfig(env: Env = process.env): ServerConfig {
  const file = env.CREDKIT_CONFIG
    ? check(
        "CREDKIT_CONFIG",
        fileConfigSchema,
        fileWithStorageDefaults(jsonVar("CREDKIT_CONFIG", readFileOrThrow(env.CREDKIT_CONFIG)), env),
      )
    : {};
  const regionsVar = env.CREDKIT_REGIONS?.trim() || undefined;
  const regionMap = regionsVar?.startsWith("{")
    ? check(
        "CREDKIT_REGIONS",
        fileConfigSchema.shape.regions,
        withStorageDefaults(jsonVar("CREDKIT_REGIONS", regionsVar), env),
      )
    : regionsVar
      ? undefined
      : file.regions;
  const regions =
    regionMap && Object.keys(regionMap).length > 0
      ? withTableRegions(regionMap)
      : regionsOfOneStore(env, regionsVar);

  // Only an explicit choice fills a create's missing `region`: otherwise it is required (400 naming it),
  // so no credential lands in a region its owner did not name.
  const defaultRegion = env.CREDKIT_DEFAULT_REGION || file.defaultRegion;
  if (defaultRegion !== undefined && !Object.hasOwn(regions, defaultRegion)) {
    throw configError([
      {
        path: "CREDKIT_DEFAULT_REGION",
        message: `must be one of the served regions (${Object.keys(regions).join(", ")})`,
      },
    ]);
  }

  const tokens = env.CREDKIT_USER_TOKENS
    ? check(
        "CREDKIT_USER_TOKENS",
        userTokenSchema.array().min(1),
        jsonVar("CREDKIT_USER_TOKENS", env.CREDKIT_USER_TOKENS),
      )
    : null;
  if (tokens && new Set(tokens.map((t) => t.token)).size !== tokens.length) {
    throw configError([{ path: "CREDKIT_USER_TOKENS", message: "lists the same token twice" }]);
  }

  let keyring: ServerConfig["keyring"] = null;
  if (env.CREDKIT_MASTER_KEY && env.CREDKIT_KEYRING) {
    throw configError([
      { path: "CREDKIT_MASTER_KEY", message: "set either CREDKIT_MASTER_KEY or CREDKIT_KEYRING, not both" },
    ]);
  }
  if (env.CREDKIT_MASTER_KEY) keyring = [{ key: env.CREDKIT_MASTER_KEY, active: true }];
  if (env.CREDKIT_KEYRING)
    keyring = check("CREDKIT_KEYRING", keyringSchema, jsonVar("CREDKIT_KEYRING", env.CREDKIT_KEYRING));

  const durable = Object.values(regions).some((s) => s.storage !== "memory");
  if (durable && keyring === null) {
    throw configError([
      {
        path: "CREDKIT_MASTER_KEY",
        message:
          "is required with a durable store (redis, dynamodb): without a fixed key the stored secrets could never be read again. Make one with `pnpm credkit keygen` (or `openssl rand -base64 32`) and keep it in your secret manager",
      },
    ]);
  }

  const logLevel = env.LOG_LEVEL ?? "info";
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel)) {
    throw configError([
      { path: "LOG_LEVEL", message: "must be one of: fatal, error, warn, info, debug, trace, silent" },
    ]);
  }
  const logFormat = env.CREDKIT_LOG_FORMAT || "json";
  if (logFormat !== "json" && logFormat !== "pino") {
    throw configError([
      {
        path: "CREDKIT_LOG_FORMAT",
        message: "must be json (level names, ISO times) or pino (numeric levels, epoch ms)",
      },
    ]);
  }
  const bodyLimit = env.CREDKIT_BODY_LIMIT ?? "100kb";
  if (!/^\d+(b|kb|mb)?$/i.test(bodyLimit)) {
    throw configError([{ path: "CREDKIT_BODY_LIMIT", message: "must be a size such as 100kb or 1mb" }]);
  }

  const rateLimitPerMinute = integerVar(env, "CREDKIT_RATE_LIMIT_PER_MINUTE", 1200, 0, 10_000_000);
  const requestTimeoutMs = integerVar(env, "CREDKIT_REQUEST_TIMEOUT_MS", 30_000, 100, 600_000);
  return {
    port: integerVar(env, "PORT", 3000, 0, 65535),
    host: env.HOST || undefined,
    regions,
    defaultRegion,
    tokens,
    keyring,
    bodyLimit,
    outboundAllowHosts: allowHosts(env),
    logLevel,
    logFormat,
    shutdownTimeoutMs: integerVar(env, "CREDKIT_SHUTDOWN_TIMEOUT_MS", 10_000, 0, 600_000),
    rateLimitPerMinute,
    corsOrigins: corsOrigins(env),
    requestTimeoutMs,
    idempotencyTtlSeconds: integerVar(env, "CREDKIT_IDEMPOTENCY_TTL_SECONDS", 86_400, 60, 7 * 86_400),
    // Never below the request timeout: a claim that lapsed while its request still ran would let a
    // retry create a second time. The default margin covers the store calls finishing after the 503.
    idempotencyInProgressMs: integerVar(
      env,
      "CREDKIT_IDEMPOTENCY_IN_PROGRESS_MS",
      requestTimeoutMs + 5_000,
      requestTimeoutMs,
      600_000 + 5_000,
    ),
    oauthPendingTtlSeconds: integerVar(env, "CREDKIT_OAUTH_PENDING_TTL_SECONDS", 600, 60, 86_400),
    limits: limitsFromEnv(env, rateLimitPerMinute),
    ...authzListenConfig(env),
    ...loadScalingConfig(env, regions),
  };
}

/**
 * The regions one store (`CREDKIT_STORAGE`) serves without a region map. Several regions share it only
 * when the operator says so (`CREDKIT_REGIONS=*` or a list): otherwise a durable store serves the one
 * region it can honestly serve, so no credential lands in another region's store unannounced.
 * - memory: every region (development; the start line says they share one in-process store);
 * - dynamodb: the AWS region of its table (`AWS_REGION`): the table lives there, and only there;
 * - redis: nothing implicit (a Redis URL names no region): `CREDKIT_REGIONS` is required.
 */
function regionsOfOneStore(env: Env, regionsVar: string | undefined): Record<string, StorageConfig> {
  const storage = uniformStorage(env);
  const served = regionsVar ? regionListVar(regionsVar) : defaultServedRegions(storage);
  return Object.fromEntries(served.map((region) => [region, storage]));
}

/** `CREDKIT_REGIONS=*` (every standard region) or `eu-west-1,us-east-1`: the regions that share the one store. */
function regionListVar(text: string): string[] {
  if (text === "*") return [...defaultRegions];
  const regions = [...new Set(text.split(",").map((r) => r.trim()))];
  const bad = regions.find((r) => !isValidRegionName(r));
  if (bad !== undefined) {
    throw configError([
      {
        path: "CREDKIT_REGIONS",
        message:
          'must be a JSON region map, "*" (every region shares the one store), or region names separated by commas, such as eu-west-1,us-east-1',
      },
    ]);
  }
  return regions;
}

/** The regions a store serves when `CREDKIT_REGIONS` is not set (see {@link regionsOfOneStore}). */
function defaultServedRegions(storage: StorageConfig): string[] {
  switch (storage.storage) {
    case "memory":
      return [...defaultRegions];
    case "dynamodb":
      if (storage.region) return [storage.region];
      throw configError([
        {
          path: "AWS_REGION",
          message:
            "is required with CREDKIT_STORAGE=dynamodb: the table lives in that AWS region and serves that region only. To serve other regions, map each to a table in its own AWS region with CREDKIT_REGIONS (a JSON region map), or let them share this one table with CREDKIT_REGIONS=* (or a list such as eu-west-1,us-east-1)",
        },
      ]);
    case "redis":
      throw configError([
        {
          path: "CREDKIT_REGIONS",
          message:
            "is required with CREDKIT_STORAGE=redis: a Redis has no region of its own, so name the region(s) it serves: one (CREDKIT_REGIONS=eu-west-1), several sharing it (CREDKIT_REGIONS=eu-west-1,eu-central-1), every region sharing it (CREDKIT_REGIONS=*, the default before this release), or a JSON region map",
        },
      ]);
  }
}

/** In a region map, a DynamoDB table lives in the AWS region of the same name unless told otherwise. */
function withTableRegions(map: Record<string, StorageConfig>): Record<string, StorageConfig> {
  return Object.fromEntries(
    Object.entries(map).map(([region, storage]) => [
      region,
      storage.storage === "dynamodb" ? { ...storage, region: storage.region ?? region } : storage,
    ]),
  );
}

function booleanVar(env: Env, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (/^(true|1)$/i.test(raw)) return true;
  if (/^(false|0)$/i.test(raw)) return false;
  throw configError([{ path: name, message: "must be true or false" }]);
}

function allowHosts(env: Env): string[] {
  const hosts = parseAllowHosts(env.CREDKIT_OUTBOUND_ALLOW_HOSTS);
  try {
    createAddressPolicy(hosts);
  } catch (error) {
    throw configError([
      {
        path: "CREDKIT_OUTBOUND_ALLOW_HOSTS",
        message: error instanceof Error ? error.message : "is invalid",
      },
    ]);
  }
  return hosts;
}

function corsOrigins(env: Env): string[] {
  const origins = (env.CREDKIT_CORS_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  const bad = origins.find((o) => !/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(o));
  if (bad !== undefined) {
    throw configError([
      {
        path: "CREDKIT_CORS_ORIGINS",
        message: "must be comma-separated origins such as https://app.example.com",
      },
    ]);
  }
  return origins;
}

/** The region map of a configuration file, with the storage-wide variables as its entries' defaults. */
function fileWithStorageDefaults(file: unknown, env: Env): unknown {
  if (typeof file !== "object" || file === null || !("regions" in file)) return file;
  return { ...file, regions: withStorageDefaults(file.regions, env) };
}

function readFileOrThrow(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw configError([{ path: "CREDKIT_CONFIG", message: `cannot read the file ${path}` }]);
  }
}
