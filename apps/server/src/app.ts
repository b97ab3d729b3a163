import { randomBytes } from "node:crypto";
import {
  type CredentialService,
  type CredentialStore,
  createAddressPolicy,
  createCredentialService,
  createOutboundFetch,
  withAudit,
} from "@credkit/core";
import {
  createCredkitRouter,
  createHealthRouter,
  memoryIdempotencyStore,
  tokenAuthenticator,
  type UserToken,
} from "@credkit/express";
import express, { type Express } from "express";
import helmet from "helmet";
import type { Logger } from "pino";
import { auditAuthorizationFailures, logAuditSink } from "./audit-log.js";
import type { ServerConfig } from "./config.js";
import { cors } from "./http/cors.js";
import { rateLimit } from "./http/rate-limit.js";
import { redisIdempotencyStore } from "./http/redis-idempotency.js";
import { requestContext } from "./http/request-context.js";
import { memoryCounter, redisCounter } from "./http/shared-counter.js";
import { requestTimeout } from "./http/timeout.js";
import { keyringFor } from "./keys.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { openNearCache } from "./near-cache.js";
import { openStores } from "./stores.js";

/** A wired, not yet listening, credkit server. */
export interface CredkitApp {
  app: Express;
  service: CredentialService;
  metrics: Metrics;
  /** The token generated at start when none was configured (print it once), else null. */
  generatedToken: string | null;
  /** True when the keyring was generated for this process only (memory stores, no key configured). */
  ephemeralKey: boolean;
  close(): Promise<void>;
}

/** Wires stores, keyring, service, metrics and routes from a validated configuration. */
export async function createApp(config: ServerConfig, logger: Logger): Promise<CredkitApp> {
  const metrics = createMetrics();
  const { keyring, ephemeral } = await keyringFor(config);
  const stores = await openStores(config.regions, logger);
  // One instrumented wrapper per distinct store, so regions that share a store still share it.
  const instrumented = new Map<CredentialStore, CredentialStore>();
  const regions = Object.fromEntries(
    Object.entries(stores.regions).map(([region, store]) => {
      if (!instrumented.has(store)) instrumented.set(store, metrics.store(store));
      return [region, instrumented.get(store) as CredentialStore];
    }),
  );
  const nearCache = openNearCache(config, stores.redis, metrics.registry, logger);
  const audit = logAuditSink(logger);
  const service = withAudit(
    metrics.service(
      createCredentialService({
        regions,
        keyring,
        ...(config.defaultRegion ? { defaultRegion: config.defaultRegion } : {}),
        outboundFetch: metrics.outbound(
          createOutboundFetch({ policy: createAddressPolicy(config.outboundAllowHosts) }),
        ),
        pendingAuthorizationTtlMs: config.oauthPendingTtlSeconds * 1000,
        nearCache: nearCache.cache,
      }),
    ),
    audit,
  );

  let generatedToken: string | null = null;
  let tokens: UserToken[];
  if (config.tokens) {
    tokens = config.tokens;
  } else {
    generatedToken = randomBytes(24).toString("base64url");
    tokens = [{ token: generatedToken, userId: "admin", clientIds: "*" }];
  }

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  // One `finish` listener per request serves the log line, the metrics and the audit of failures.
  app.use(requestContext(logger, [metrics.observeRequest, auditAuthorizationFailures(audit)]));
  app.use(helmet());
  app.use(cors(config.corsOrigins));
  app.use(requestTimeout(config.requestTimeoutMs));
  app.use(
    "/api",
    rateLimit({
      perMinute: config.rateLimitPerMinute,
      // Shared through Redis when Redis is configured, so the limit holds across processes.
      counter: stores.redis ? redisCounter(stores.redis, "credkit:ratelimit:") : memoryCounter(),
      keyOf: (who) => keyring.lookupHash(`rate-limit\n${who}`),
      logger,
    }),
    createCredkitRouter({
      service,
      authenticate: tokenAuthenticator(tokens),
      basePath: "/api",
      bodyLimit: config.bodyLimit,
      onError: (error, status) => logger.error({ err: error, status }, "request failed"),
      idempotency: {
        store: stores.redis
          ? redisIdempotencyStore(stores.redis, "credkit:idempotency:")
          : memoryIdempotencyStore(),
        ttlMs: config.idempotencyTtlSeconds * 1000,
      },
    }),
  );
  // After the API: its requests, the hot path, then never walk past these routes.
  app.use(createHealthRouter(service));
  app.get("/metrics", metrics.endpoint());
  app.use((_req, res) => {
    res.status(404).json({ message: "No such endpoint", code: "NOT_FOUND" });
  });

  return {
    app,
    service,
    metrics,
    generatedToken,
    ephemeralKey: ephemeral,
    close: async () => {
      await nearCache.close();
      await stores.close();
    },
  };
}
