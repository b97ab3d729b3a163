import { type FieldError, isCredkitError } from "@credkit/core";
import type { UserToken } from "@credkit/express";
import { configError, type Env, problem } from "./config-parsers.js";
import { resolveRegions } from "./config-regions.js";
import { isDurable, type StorageConfig } from "./config-schema.js";
import { claimMarginMs, configTable, isVariable, type Table, type TableValues } from "./config-table.js";

export type { Env } from "./config-parsers.js";

/**
 * The server's whole configuration, validated. Each section is the option object of what takes it
 * (`service` → `createCredentialService`, `router` → `createCredkitRouter`, `rateLimits` → the rate
 * limiter, `authz` → the data-plane listener); an option left out gets its package's default.
 */
export interface ServerConfig {
  /** The API's listener: where, CORS, the request deadline, trusted proxies, shutdown. */
  http: TableValues["http"];
  /** Log level and line format. */
  log: TableValues["log"];
  /** Region → where its credentials live. */
  regions: Record<string, StorageConfig>;
  /** Null: generate one token at start and print it. */
  tokens: UserToken[] | null;
  /** Null: no key configured (allowed only when every region is in memory). */
  keyring: { id?: string; key: string; active?: boolean }[] | null;
  /** Options of `createCredentialService` (besides the stores, keyring and outbound fetch). */
  service: TableValues["service"];
  /** Options of `createCredkitRouter` (besides the service and the idempotency store). */
  router: TableValues["router"] & { idempotency: { inProgressMs: number } };
  /** Per-minute limits of the rate limiter (0 turns one off). */
  rateLimits: TableValues["rateLimits"];
  /** The data-plane listener (`port` unset = off). */
  authz: TableValues["authz"];
  /** Outbound fetches (token URLs, JWKS). */
  outbound: TableValues["outbound"];
  /** Webhook delivery: attempts, retry base, poll interval and deliveries in flight. */
  webhooks: TableValues["webhooks"];
  /** Worker processes sharing the ports; 1 = no cluster, the process serves itself. */
  workers: number;
  /** How often this process walks the stores for due expiry events. */
  expiry: TableValues["expiry"];
}

/**
 * Reads and validates the configuration from the environment (and the file `CREDKIT_CONFIG` names):
 * every variable through the one table (every bad variable named at once), then the rules that
 * involve several of them.
 */
export function loadConfig(env: Env = process.env): ServerConfig {
  const values = readTable(env);
  const { regions, defaultRegion } = resolveRegions(values.storage, values.service.defaultRegion);

  const tokens = values.access.tokens ?? null;
  if (tokens && new Set(tokens.map((t) => t.token)).size !== tokens.length) {
    throw problem("CREDKIT_USER_TOKENS", "lists the same token twice");
  }

  const { masterKey, keyring: keyList } = values.keys;
  if (masterKey !== undefined && keyList !== undefined) {
    throw problem("CREDKIT_MASTER_KEY", "set either CREDKIT_MASTER_KEY or CREDKIT_KEYRING, not both");
  }
  const keyring = keyList ?? (masterKey === undefined ? null : [{ key: masterKey, active: true }]);
  const stores = Object.values(regions);
  if (keyring === null && stores.some(isDurable)) {
    throw problem(
      "CREDKIT_MASTER_KEY",
      "is required with a durable store (redis, dynamodb): without a fixed key the stored secrets could never be read again. Make one with `pnpm credkit keygen` (or `openssl rand -base64 32`) and keep it in your secret manager",
    );
  }

  // Never below the request timeout: a claim that lapsed while its request still ran would let a
  // retry create a second time.
  const { requestTimeoutMs } = values.http;
  const inProgressMs = values.router.idempotency.inProgressMs ?? requestTimeoutMs + claimMarginMs;
  if (inProgressMs < requestTimeoutMs) {
    throw problem(
      "CREDKIT_IDEMPOTENCY_IN_PROGRESS_MS",
      `must be at least CREDKIT_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    );
  }

  // Several workers over the memory store are refused: each process would hold its own credentials,
  // so a credential created through one worker would be unknown to the others.
  const workers = values.scaling.workers;
  if (workers > 1 && !stores.every(isDurable)) {
    throw problem(
      "CREDKIT_WORKERS",
      `must be 1 with the memory store: ${workers} worker processes would each keep their own credentials (a credential created through one would be unknown to the others). Use redis or dynamodb storage to run several workers`,
    );
  }
  if (workers > 1 && tokens === null) {
    throw problem(
      "CREDKIT_USER_TOKENS",
      `is required with CREDKIT_WORKERS=${workers}: each worker would otherwise generate its own admin token`,
    );
  }

  // The dispatcher refuses it too; said here, it names the variable at start.
  const { batchSize, perClientInFlight } = values.webhooks;
  if (perClientInFlight !== undefined && perClientInFlight > batchSize) {
    throw problem(
      "CREDKIT_WEBHOOK_CLIENT_IN_FLIGHT",
      `must be at most CREDKIT_WEBHOOK_IN_FLIGHT (${batchSize}): one client cannot have more deliveries in flight than the process`,
    );
  }

  return {
    http: values.http,
    log: values.log,
    regions,
    tokens,
    keyring,
    service: { ...values.service, ...(defaultRegion === undefined ? {} : { defaultRegion }) },
    router: { ...values.router, idempotency: { ...values.router.idempotency, inProgressMs } },
    rateLimits: values.rateLimits,
    authz: values.authz,
    outbound: values.outbound,
    webhooks: values.webhooks,
    workers,
    expiry: values.expiry,
  };
}

/**
 * Every variable of the table, parsed: a section object per section, an unset variable with no
 * default left out (its package decides). All bad variables are reported together.
 */
export function readTable(env: Env): TableValues {
  const problems: FieldError[] = [];
  const read = (table: Table): Record<string, unknown> => {
    const section: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(table)) {
      if (!isVariable(entry)) {
        section[key] = read(entry);
        continue;
      }
      const raw = env[entry.name];
      let value: unknown = entry.fallback;
      if (raw !== undefined && raw !== "") {
        try {
          value = entry.parse(raw, entry.name);
        } catch (error) {
          if (!isCredkitError(error, "CONFIGURATION_ERROR") || !error.errors) throw error;
          problems.push(...error.errors);
        }
      }
      if (value !== undefined) section[key] = value;
    }
    return section;
  };
  const values = read(configTable as unknown as Table);
  if (problems.length > 0) throw configError(problems);
  return values as TableValues;
}
