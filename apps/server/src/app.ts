import { randomBytes } from "node:crypto";
import {
  type CredentialService,
  createAddressPolicy,
  createCredentialService,
  createOutboundFetch,
} from "@credkit/core";
import {
  createCredkitRouter,
  createHealthRouter,
  tokenAuthenticator,
  type UserToken,
} from "@credkit/express";
import express, { type Express } from "express";
import type { Logger } from "pino";
import { logAuditSink, requestAuditSlots } from "./audit-log.js";
import { trustedProxies } from "./authz/caller-address.js";
import { callerThrottle } from "./authz/caller-throttle.js";
import { type AuthzListener, createAuthzListener } from "./authz/listener.js";
import { authzAnswerCounter } from "./authz/metrics.js";
import { authzReadiness } from "./authz/readiness.js";
import type { ServerConfig } from "./config.js";
import { cors } from "./http/cors.js";
import { keyringIdempotencyProtection } from "./http/idempotency-protection.js";
import { mountPath } from "./http/mount-path.js";
import { rateLimit } from "./http/rate-limit.js";
import { requestContext } from "./http/request-context.js";
import { helmetHeaders } from "./http/security-headers.js";
import { memoryCounter } from "./http/shared-counter.js";
import { sharedCounter, sharedIdempotencyStore, sharedStateBackend } from "./http/shared-state.js";
import { requestDeadlines } from "./http/timeout.js";
import { checkKeyringOpensStores, keyringFor } from "./keys.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { openNearCache } from "./near-cache.js";
import { checkStores } from "./store-check.js";
import { storeGroups, storeLine } from "./store-groups.js";
import { openStores } from "./stores.js";
import { openWebhooks } from "./webhooks.js";

/** A wired, not yet listening, credkit server. */
export interface CredkitApp {
  app: Express;
  service: CredentialService;
  metrics: Metrics;
  /** The token generated at start when none was configured (print it once), else null. */
  generatedToken: string | null;
  /** True when the keyring was generated for this process only (memory stores, no key configured). */
  ephemeralKey: boolean;
  /** The data-plane listener (`CREDKIT_AUTHZ_PORT`), not yet listening; null when not configured. */
  authz: AuthzListener | null;
  close(): Promise<void>;
}

/** Wires stores, keyring, service, metrics and routes from a validated configuration. */
export async function createApp(config: ServerConfig, logger: Logger): Promise<CredkitApp> {
  const metrics = createMetrics();
  const { keyring, ephemeral } = await keyringFor(config);
  const stores = await openStores(config.regions, logger);
  // A store that cannot answer is named now, per region, rather than a server answering 503 to all.
  const checked = checkStores(config.regions, stores).then(
    // A keyring that cannot open what is stored is refused now, not found out by every request.
    () => (ephemeral ? undefined : checkKeyringOpensStores(keyring, stores.regions)),
  );
  await checked.catch(async (error: unknown) => {
    await stores.close();
    throw error;
  });
  // One line per store, not per region: where it is, which regions it serves, whether they share it.
  for (const group of storeGroups(config.regions)) {
    logger.info(
      { storage: group.storage.storage, regions: group.regions, shared: group.regions.length > 1 },
      `store ${storeLine(group)}`,
    );
  }
  // Which key new secrets are sealed under: the first thing to compare when two processes disagree.
  // Key ids are not secret (every sealed record carries its own).
  logger.info(
    { activeKeyId: keyring.activeKeyId, keyIds: keyring.keyIds, ephemeral },
    ephemeral
      ? `keyring: a key generated for this process ("${keyring.activeKeyId}")`
      : `keyring: active key "${keyring.activeKeyId}" of ${keyring.keyIds.length}`,
  );
  metrics.observeStores(Object.values(stores.regions));
  const nearCache = openNearCache(
    config.service.nearCache,
    stores.regions,
    stores.redis,
    metrics.registry,
    logger,
  );
  // A mutation's audit event rides on its request's log line: one line per request.
  const auditSlots = requestAuditSlots();
  const audit = logAuditSink(logger, auditSlots);
  // Webhook URLs meet the same address policy as token and JWKS endpoints.
  const policy = createAddressPolicy(config.outbound.allowHosts);
  const outboundFetch = metrics.outbound(createOutboundFetch({ policy }));
  const webhooks = openWebhooks({
    stores,
    keyring,
    fetch: outboundFetch,
    policy,
    logger,
    delivery: config.webhooks,
  });
  const service = createCredentialService({
    ...config.service,
    regions: stores.regions,
    keyring,
    outboundFetch,
    nearCache: nearCache.cache,
    events: { sink: webhooks.sink },
    // One process walks a store per period (a store lease); the others skip it.
    expiryEvents: { ...config.service.expiryEvents, sweepEveryMs: config.expiry.sweepMs },
    // Audit lines and verification counts are hooks the service calls with typed events.
    hooks: { audit: (event) => audit.record(event), verification: metrics.verification },
  });
  // A write that stored an event starts a dispatcher pass at once (its relay moves the event to the
  // outbox); the poll is for the events of other processes, and of one that died.
  service.events.subscribe("*", () => webhooks.dispatcher.wake());

  let generatedToken: string | null = null;
  let tokens: UserToken[];
  if (config.tokens) {
    tokens = config.tokens;
  } else {
    generatedToken = randomBytes(24).toString("base64url");
    tokens = [{ token: generatedToken, userId: "admin", clientIds: "*" }];
  }

  const authenticate = tokenAuthenticator(tokens);
  const authz =
    config.authz.port === undefined
      ? null
      : createAuthzListener({
          service,
          tokens,
          logger,
          audit,
          onAnswer: authzAnswerCounter(metrics.registry),
          trustedProxies: trustedProxies(config.http.trustedProxies),
          ...(config.authz.failuresPerMinute > 0
            ? {
                throttle: callerThrottle({
                  failuresPerMinute: config.authz.failuresPerMinute,
                  // Shared through Redis, else the DynamoDB table: a guesser is stopped across processes.
                  counter: sharedCounter(stores, "authz-throttle"),
                  keyOf: (bucket) => keyring.lookupHash(`rate-limit\n${bucket}`),
                  logger,
                }),
              }
            : {}),
        });

  const app = express();
  app.disable("x-powered-by");
  // Whose X-Forwarded-For is believed (req.ip); none by default, so the socket's peer is the source.
  app.set("trust proxy", config.http.trustedProxies.length > 0 ? config.http.trustedProxies : false);
  app.set("etag", false);
  // One close listener per request: its id, the security headers, the timeout, the log line (with its
  // audit event) and the metrics.
  const context = requestContext({
    logger,
    observers: [metrics.observeRequest],
    slots: auditSlots,
    headers: helmetHeaders(),
    deadlines: requestDeadlines(config.http.requestTimeoutMs),
  });
  // Nothing at all when no origin is allowed (the default): it would only read a header per request.
  const allowOrigins = config.http.corsOrigins.length > 0 ? cors(config.http.corsOrigins) : null;
  const limit = rateLimit({
    limits: config.rateLimits,
    // Shared through Redis, else the DynamoDB table, so the limit holds across processes.
    counter: sharedCounter(stores, "ratelimit"),
    publicCounter: memoryCounter(),
    authenticate,
    keyOf: (bucket) => keyring.lookupHash(`rate-limit\n${bucket}`),
    logger,
    onBackendError: () => metrics.storeError(sharedStateBackend(stores), "rateLimit", "STORAGE_UNAVAILABLE"),
  });
  const api = createCredkitRouter({
    ...config.router,
    service,
    authenticate,
    webhooks: webhooks.service,
    // Every 401/403 of the API becomes an `authorization.failed` audit event.
    audit,
    onError: (error, status) => logger.error({ err: error, status }, "request failed"),
    idempotency: {
      ...config.router.idempotency,
      store: sharedIdempotencyStore(stores),
      protection: keyringIdempotencyProtection(keyring),
    },
  });
  // The limiter and the API under `/api`, mounted as Express would mount them, and run from the
  // same layer as the request's context: the API's request walks Express's router once (a layer costs
  // every request a match, and a mount the strip and restore of its prefix).
  const underApi = mountPath("/api", (req, res, next) => {
    limit(req, res, (error?: unknown) => (error === undefined ? api(req, res, next) : next(error)));
  });
  app.use((req, res, next) => {
    context(req, res, () => {
      if (allowOrigins) allowOrigins(req, res, () => underApi(req, res, next));
      else underApi(req, res, next);
    });
  });
  // After the API: its requests, the hot path, then never walk past these routes.
  if (authz) app.get("/readyz", authzReadiness(authz));
  app.use(createHealthRouter(service));
  app.get("/metrics", metrics.endpoint());
  app.use((_req, res) => {
    res.status(404).json({ message: "No such endpoint", code: "NOT_FOUND" });
  });

  // Expiry events: every process asks on a timer (one walk at a time); each store is walked by one
  // process per period and each event emitted once across them all (see CredentialService.sweepExpiries).
  let sweeping = false;
  const expirySweeps = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    service
      .sweepExpiries()
      .catch((error: unknown) => logger.warn({ err: error }, "expiry sweep failed; the next one tries again"))
      .finally(() => {
        sweeping = false;
      });
  }, config.expiry.sweepMs);
  expirySweeps.unref();

  return {
    app,
    service,
    metrics,
    generatedToken,
    ephemeralKey: ephemeral,
    authz,
    close: async () => {
      clearInterval(expirySweeps);
      await webhooks.close();
      await nearCache.close();
      await stores.close();
    },
  };
}
