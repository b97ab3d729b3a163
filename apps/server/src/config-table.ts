import {
  createAddressPolicy,
  DEFAULT_EXPIRED_RETENTION_MS,
  DEFAULT_EXPIRY_LEAD_TIMES_MS,
  DEFAULT_JWKS_COOLDOWN_MS,
  DEFAULT_MIN_PROXY_SECRET_LENGTH,
  DEFAULT_NEAR_CACHE_MAX_ENTRIES,
  DEFAULT_NEAR_CACHE_TTL_MS,
  DEFAULT_PENDING_AUTHORIZATION_TTL_MS,
  parseAllowHosts,
} from "@credkit/core";
import { DEFAULT_BODY_LIMIT, DEFAULT_IDEMPOTENCY_TTL_MS } from "@credkit/express";
import { defaultKeyPrefix, defaultWaitTimeoutMs } from "@credkit/storage-redis";
import {
  boolean,
  host,
  integer,
  isHostPort,
  isOrigin,
  isTrustedProxyEntry,
  json,
  jsonFile,
  list,
  matching,
  oneOf,
  type Parser,
  problem,
  processCount,
  regionsSetting,
  secondsAsMs,
  secondsListAsMs,
  size,
  text,
} from "./config-parsers.js";
import { keyringSchema, storageKinds, userTokenSchema } from "./config-schema.js";

/**
 * One environment variable: its name, how its text becomes a value, its default, and the line the
 * configuration doc shows. `Defaulted` says whether the table itself supplies the default (`fallback`,
 * for what only the server decides) or leaves the option unset so the package that takes it applies its
 * own (`defaultDoc` then says what that is).
 */
export interface Variable<T, Defaulted extends boolean = boolean> {
  readonly name: string;
  readonly parse: Parser<T>;
  readonly fallback: Defaulted extends true ? T : undefined;
  /** The default as the doc shows it. */
  readonly defaultDoc: string;
  /** What the variable means: the doc's line. */
  readonly doc: string;
  /** A markdown link to the doc section that says more (`[scaling](scaling.md#…)`), if any. */
  readonly see?: string;
}

interface Spec {
  doc: string;
  see?: string;
}

/** A variable whose default the server decides (`fallback`). */
function withDefault<T>(
  name: string,
  parse: Parser<T | undefined>,
  fallback: T,
  spec: Spec & { defaultDoc?: string },
): Variable<T, true> {
  const parseOrFallback: Parser<T> = (raw, at) => parse(raw, at) ?? fallback;
  return {
    name,
    parse: parseOrFallback,
    fallback,
    defaultDoc: spec.defaultDoc ?? `\`${Array.isArray(fallback) ? fallback.join(",") : String(fallback)}\``,
    ...spec,
  };
}

/**
 * A variable left out of its section unless given: the package taking the option applies its own
 * default, or a rule of `loadConfig` says what unset means (a generated token, no fixed key).
 */
function optional<T>(
  name: string,
  parse: Parser<T>,
  spec: Spec & { defaultDoc: string },
): Variable<T, false> {
  return { name, parse, fallback: undefined, ...spec };
}

// Where a variable has more than its line: markdown links, relative to docs/.
const securityLimits = "[security limits](security-limits.md#configuration)";
const scaling = "[scaling](scaling.md#configuration-server)";
const proxies = "[proxies](proxies.md#configuration)";
const failover = "[failover](scaling.md#redis-failover-what-is-and-is-not-guaranteed)";
const events = "[events](events.md#delivery)";

/**
 * Default margin of an idempotency claim over the request timeout (the server's rule, applied in
 * `loadConfig`): the store calls that finish after a timed-out request's 503.
 */
export const claimMarginMs = 5_000;

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const allowHosts: Parser<string[]> = (raw, name) => {
  const hosts = parseAllowHosts(raw);
  try {
    createAddressPolicy(hosts);
  } catch (error) {
    throw problem(name, error instanceof Error ? error.message : "is invalid");
  }
  return hosts;
};

const hostPorts = list(isHostPort, "must be host:port addresses separated by commas");

/**
 * Every variable the server reads, once, grouped in sections that are the option objects the packages
 * take (`service` → `createCredentialService`, `router` → `createCredkitRouter`, `storage.redis` → a
 * region map's redis entry, …): the app passes a section through as it is. The configuration doc's
 * table is rendered from this one (`pnpm --filter @credkit/server config:doc`; a test fails when they
 * differ). An empty variable counts as unset.
 */
export const configTable = {
  http: {
    port: withDefault("PORT", integer(0, 65535), 3000, { doc: "port to listen on (`0` = any free port)" }),
    host: optional("HOST", text, { defaultDoc: "all interfaces", doc: "address to bind, e.g. `127.0.0.1`" }),
    corsOrigins: withDefault(
      "CREDKIT_CORS_ORIGINS",
      list(isOrigin, "must be comma-separated origins such as https://app.example.com"),
      [],
      {
        defaultDoc: "none (CORS off)",
        doc: "comma-separated origins allowed to call the API from a browser",
      },
    ),
    requestTimeoutMs: withDefault("CREDKIT_REQUEST_TIMEOUT_MS", integer(100, 600_000), 30_000, {
      doc: "a request not answered by then gets 503 `REQUEST_TIMEOUT` (100–600000)",
    }),
    trustedProxies: withDefault(
      "CREDKIT_TRUSTED_PROXIES",
      list(
        isTrustedProxyEntry,
        "must be comma-separated IP addresses or CIDRs (or loopback, linklocal, uniquelocal)",
      ),
      [],
      {
        defaultDoc: "none",
        doc: "reverse proxies whose `X-Forwarded-For` is believed (API and `/authz`)",
        see: securityLimits,
      },
    ),
    shutdownTimeoutMs: withDefault("CREDKIT_SHUTDOWN_TIMEOUT_MS", integer(0, 600_000), 10_000, {
      doc: "on SIGTERM/SIGINT, how long in-flight requests may finish",
    }),
  },
  log: {
    level: withDefault("LOG_LEVEL", oneOf(logLevels), "info", {
      doc: "`fatal` … `trace` or `silent`; logs are JSON lines on stdout",
    }),
    format: withDefault(
      "CREDKIT_LOG_FORMAT",
      oneOf(["json", "pino"], "must be json (level names, ISO times) or pino (numeric levels, epoch ms)"),
      "json",
      { doc: "`json`: level names, ISO times; `pino`: numeric levels, epoch ms" },
    ),
  },
  access: {
    tokens: optional("CREDKIT_USER_TOKENS", json(userTokenSchema.array().min(1)), {
      defaultDoc: "one admin token, generated and printed",
      doc: "the API's tokens, JSON (below)",
    }),
  },
  keys: {
    masterKey: optional("CREDKIT_MASTER_KEY", text, {
      defaultDoc: "per process (memory stores only)",
      doc: "base64 of 32 bytes; required with Redis or DynamoDB",
    }),
    keyring: optional("CREDKIT_KEYRING", json(keyringSchema), {
      defaultDoc: "–",
      doc: "several keys, one active, instead of `CREDKIT_MASTER_KEY` (below)",
    }),
  },
  storage: {
    kind: withDefault("CREDKIT_STORAGE", oneOf(storageKinds), "memory" as (typeof storageKinds)[number], {
      doc: "the one store without a region map: `memory`, `redis`, `dynamodb`",
    }),
    regions: optional("CREDKIT_REGIONS", regionsSetting, {
      defaultDoc: "see [regions](#regions)",
      doc: "JSON region map, or `*` / a list of regions sharing the one store",
    }),
    file: optional("CREDKIT_CONFIG", jsonFile, {
      defaultDoc: "–",
      doc: 'path of a JSON file `{"regions":{…},"defaultRegion":"…"}`',
    }),
    redis: {
      url: optional("CREDKIT_REDIS_URL", matching(/^rediss?:\/\//, "must be a redis:// or rediss:// URL"), {
        defaultDoc: "–",
        doc: "`redis://host:port` (or `rediss://`)",
      }),
      clusterNodes: optional("CREDKIT_REDIS_CLUSTER_NODES", hostPorts, {
        defaultDoc: "–",
        doc: "`host:port,host:port,…` of a Redis Cluster, instead of the URL",
      }),
      sentinels: optional("CREDKIT_REDIS_SENTINELS", hostPorts, {
        defaultDoc: "–",
        doc: "`host:port,…` of Redis Sentinels, instead of the URL",
        see: failover,
      }),
      sentinelName: optional(
        "CREDKIT_REDIS_SENTINEL_NAME",
        matching(
          /^[A-Za-z0-9_.-]{1,128}$/,
          "must be the master's name as Sentinel knows it (A-Z a-z 0-9 _ . -)",
        ),
        {
          defaultDoc: "–",
          doc: "the master's name in the Sentinels' configuration (required with Sentinels)",
        },
      ),
      sentinelPassword: optional("CREDKIT_REDIS_SENTINEL_PASSWORD", text, {
        defaultDoc: "–",
        doc: "password of the Sentinels",
      }),
      password: optional("CREDKIT_REDIS_PASSWORD", text, {
        defaultDoc: "–",
        doc: "password of the Redis servers behind Sentinel",
      }),
      keyPrefix: optional("CREDKIT_REDIS_KEY_PREFIX", text, {
        defaultDoc: `\`${defaultKeyPrefix}\``,
        doc: "prefix of every Redis key",
      }),
      waitReplicas: optional("CREDKIT_REDIS_WAIT_REPLICAS", integer(0, 16), {
        defaultDoc: "`1` with Sentinels, else `0`",
        doc: "replicas that must confirm each credential write (`WAIT`); 0–16",
        see: failover,
      }),
      waitTimeoutMs: optional("CREDKIT_REDIS_WAIT_TIMEOUT_MS", integer(1, 60_000), {
        defaultDoc: `\`${defaultWaitTimeoutMs}\``,
        doc: "how long a write waits for them (1–60000), then 503",
      }),
    },
    dynamodb: {
      table: optional("CREDKIT_DYNAMODB_TABLE", text, {
        defaultDoc: "–",
        doc: "table name; it serves `AWS_REGION` only (see [regions](#regions))",
      }),
      endpoint: optional("CREDKIT_DYNAMODB_ENDPOINT", text, {
        defaultDoc: "AWS",
        doc: "endpoint override, e.g. DynamoDB Local's `http://127.0.0.1:8000`",
      }),
      createTable: optional("CREDKIT_DYNAMODB_CREATE_TABLE", boolean, {
        defaultDoc: "`false`",
        doc: "`true`/`1` creates the table (pk/sk, TTL) at start if it is missing; anything but `true`/`1`/`false`/`0` is refused",
      }),
      // The AWS SDK's own variable, which other tools may set: checked only when the one store is DynamoDB.
      region: optional("AWS_REGION", text, {
        defaultDoc: "the AWS SDK's",
        doc: "AWS region of the `CREDKIT_STORAGE=dynamodb` table, and the region it serves",
      }),
    },
  },
  service: {
    defaultRegion: optional("CREDKIT_DEFAULT_REGION", text, {
      defaultDoc: "none: `region` is required",
      doc: "region of a create that names none (must be a served region)",
    }),
    pendingAuthorizationTtlMs: optional("CREDKIT_OAUTH_PENDING_TTL_SECONDS", secondsAsMs(60, 86_400), {
      defaultDoc: `\`${DEFAULT_PENDING_AUTHORIZATION_TTL_MS / 1000}\``,
      doc: "seconds an authorization-code credential waits for its callback (60–86400)",
    }),
    expiredRetentionMs: optional("CREDKIT_EXPIRED_RETENTION_SECONDS", secondsAsMs(0, 10 * 365 * 86_400), {
      defaultDoc: `\`${DEFAULT_EXPIRED_RETENTION_MS / 1000}\` (30 days)`,
      doc: "seconds a credential past its `expiresAt` is kept (refused, listed with `includeExpired`) before its store deletes it",
      see: "[lifetimes](api.md#lifetimes-expiresat)",
    }),
    expiryEvents: {
      leadTimesMs: optional("CREDKIT_EXPIRY_WARNING_SECONDS", secondsListAsMs(1, 366 * 86_400), {
        defaultDoc: `\`${DEFAULT_EXPIRY_LEAD_TIMES_MS.map((ms) => ms / 1000).join(",")}\` (7 days, 1 day)`,
        doc: "when `credential.expiring` fires: seconds before `expiresAt`, comma-separated",
        see: "[lifetimes](api.md#lifetimes-expiresat)",
      }),
    },
    auditDataPlaneResolves: optional("CREDKIT_AUDIT_DATA_PLANE_RESOLVES", boolean, {
      defaultDoc: "`false`",
      doc: "`true`/`1` audits each target `/authz` resolves (a line per request); spent single uses always are",
      see: "[operations](operations.md)",
    }),
    minProxySecretLength: optional("CREDKIT_MIN_PROXY_SECRET_LENGTH", integer(1, 1024), {
      defaultDoc: `\`${DEFAULT_MIN_PROXY_SECRET_LENGTH}\``,
      doc: "fewest characters of a proxy apiKey, bearer, jwt or basic secret",
      see: securityLimits,
    }),
    jwks: {
      cooldownMs: optional("CREDKIT_JWKS_COOLDOWN_MS", integer(0, 3_600_000), {
        defaultDoc: `\`${DEFAULT_JWKS_COOLDOWN_MS}\``,
        doc: "least time between two JWKS fetches of one URI",
        see: securityLimits,
      }),
    },
    nearCache: {
      ttlMs: optional("CREDKIT_NEAR_CACHE_TTL_MS", integer(0, 60_000), {
        defaultDoc: `\`${DEFAULT_NEAR_CACHE_TTL_MS}\` when a region uses redis or dynamodb, else \`0\``,
        doc: "how long a verification verdict is kept in process (0–60000; `0` = off)",
        see: scaling,
      }),
      maxEntries: optional("CREDKIT_NEAR_CACHE_MAX_ENTRIES", integer(1, 10_000_000), {
        defaultDoc: `\`${DEFAULT_NEAR_CACHE_MAX_ENTRIES}\``,
        doc: "verdicts kept per process",
        see: scaling,
      }),
    },
  },
  router: {
    bodyLimit: optional("CREDKIT_BODY_LIMIT", size, {
      defaultDoc: `\`${DEFAULT_BODY_LIMIT}\``,
      doc: "largest JSON body (413 above it)",
      see: securityLimits,
    }),
    idempotency: {
      ttlMs: optional("CREDKIT_IDEMPOTENCY_TTL_SECONDS", secondsAsMs(60, 7 * 86_400), {
        defaultDoc: `\`${DEFAULT_IDEMPOTENCY_TTL_MS / 1000}\``,
        doc: "seconds an `Idempotency-Key` of a create is remembered",
        see: securityLimits,
      }),
      inProgressMs: optional("CREDKIT_IDEMPOTENCY_IN_PROGRESS_MS", integer(100, 605_000), {
        defaultDoc: `\`CREDKIT_REQUEST_TIMEOUT_MS\` + ${claimMarginMs}`,
        doc: "how long an unfinished create keeps its key claimed (at least the request timeout)",
        see: "[scaling](scaling.md#idempotency-and-rate-limits)",
      }),
    },
  },
  rateLimits: {
    perMinute: withDefault("CREDKIT_RATE_LIMIT_PER_MINUTE", integer(0, 10_000_000), 1200, {
      doc: "management API requests per token per minute (429; `0` = off)",
      see: securityLimits,
    }),
    dataPlanePerMinute: withDefault("CREDKIT_DATA_PLANE_RATE_LIMIT_PER_MINUTE", integer(0, 100_000_000), 0, {
      defaultDoc: "`0` (off)",
      doc: "`/verify`, `/resolve`, `/invalidate` per token per minute",
      see: securityLimits,
    }),
    authFailuresPerMinute: withDefault("CREDKIT_AUTH_FAILURE_LIMIT_PER_MINUTE", integer(0, 10_000_000), 60, {
      doc: "failed authentications per source address per minute",
      see: securityLimits,
    }),
    publicPerMinute: withDefault("CREDKIT_PUBLIC_RATE_LIMIT_PER_MINUTE", integer(0, 10_000_000), 300, {
      doc: "token-less routes per source address per minute",
      see: securityLimits,
    }),
  },
  authz: {
    port: optional("CREDKIT_AUTHZ_PORT", integer(0, 65535), {
      defaultDoc: "unset (off)",
      doc: "port of the data-plane listener (`/authz/...`) for proxies",
      see: proxies,
    }),
    host: withDefault("CREDKIT_AUTHZ_HOST", host, "127.0.0.1", {
      doc: "address the data-plane listener binds",
      see: proxies,
    }),
    failuresPerMinute: withDefault("CREDKIT_AUTHZ_FAILURE_LIMIT_PER_MINUTE", integer(0, 10_000_000), 60, {
      doc: "failed `/authz` attempts per caller address per minute (429; `0` = off)",
      see: securityLimits,
    }),
  },
  outbound: {
    allowHosts: withDefault("CREDKIT_OUTBOUND_ALLOW_HOSTS", allowHosts, [], {
      defaultDoc: "none",
      doc: "non-public hosts token/JWKS fetches may reach (below)",
      see: securityLimits,
    }),
  },
  expiry: {
    sweepMs: withDefault("CREDKIT_EXPIRY_SWEEP_SECONDS", secondsAsMs(1, 86_400), 60_000, {
      defaultDoc: "`60`",
      doc: "seconds between two walks of the stores for due expiry events (at most this late; once across processes)",
      see: "[lifetimes](api.md#lifetimes-expiresat)",
    }),
  },
  webhooks: {
    maxAttempts: withDefault("CREDKIT_WEBHOOK_MAX_ATTEMPTS", integer(1, 100), 10, {
      doc: "delivery attempts of one event to one webhook before it is marked failed",
      see: events,
    }),
    baseDelayMs: withDefault("CREDKIT_WEBHOOK_RETRY_BASE_MS", integer(10, 3_600_000), 5000, {
      doc: "wait after the first failed attempt, doubled after each (with jitter, capped at 1 h)",
      see: events,
    }),
    pollMs: withDefault("CREDKIT_WEBHOOK_POLL_MS", integer(10, 60_000), 1000, {
      doc: "how often each process looks for due deliveries",
      see: events,
    }),
    batchSize: withDefault("CREDKIT_WEBHOOK_IN_FLIGHT", integer(1, 1000), 16, {
      doc: "webhook deliveries in flight at most per process (a slow receiver holds one of them)",
      see: events,
    }),
    perClientInFlight: optional("CREDKIT_WEBHOOK_CLIENT_IN_FLIGHT", integer(1, 1000), {
      defaultDoc: "a quarter of `CREDKIT_WEBHOOK_IN_FLIGHT` (`4`)",
      doc: "of those, at most this many for one client's webhooks (at most `CREDKIT_WEBHOOK_IN_FLIGHT`)",
      see: events,
    }),
  },
  scaling: {
    workers: withDefault("CREDKIT_WORKERS", processCount, 1, {
      doc: "worker processes sharing the ports: a number (1–256) or `auto`",
      see: scaling,
    }),
  },
} as const;

/** The table's shape, or a section of it. */
export type Table = { readonly [key: string]: Table | Variable<unknown> };

/** The values a (section of the) table reads: a variable with a default is always set. */
export type Read<T> =
  T extends Variable<infer V, infer D>
    ? D extends true
      ? V
      : V | undefined
    : { -readonly [K in keyof T]: Read<T[K]> };

/** The whole configuration as the table reads it, before the rules across variables. */
export type TableValues = Read<typeof configTable>;

/** True for a row of the table (as opposed to a section). */
export function isVariable(entry: Table | Variable<unknown>): entry is Variable<unknown> {
  return typeof (entry as Variable<unknown>).parse === "function";
}

/** Every row of the table with its option path (`service.nearCache.ttlMs`), in table order. */
export function tableRows(
  table: Table = configTable as unknown as Table,
  prefix = "",
): { path: string; variable: Variable<unknown> }[] {
  return Object.entries(table).flatMap(([key, entry]) =>
    isVariable(entry) ? [{ path: `${prefix}${key}`, variable: entry }] : tableRows(entry, `${prefix}${key}.`),
  );
}

/** The variable an option path comes from (`storage.redis.url` → `CREDKIT_REDIS_URL`), if any. */
export function variableAt(path: string): string | undefined {
  return tableRows().find((row) => row.path === path)?.variable.name;
}
