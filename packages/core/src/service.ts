import { assertClientAccess, assertMayWriteCredentials, assertSecretAccess } from "./access.js";
import { type AuditBase, auditDataPlane, auditedActor, createAuditor } from "./audit.js";
import { authorizeProxyRequest, type ProxyVerdict } from "./authz/authorize.js";
import type { Keyring } from "./crypto/keyring.js";
import { CredkitError } from "./errors.js";
import {
  type CredentialEvents,
  createEventBus,
  type EventBusOptions,
  type EventPublisher,
} from "./events/event-bus.js";
import { credentialEventData } from "./events/event-data.js";
import type { AnyCredkitEvent } from "./events/event-types.js";
import { newCredentialId } from "./ids.js";
import { isoTime } from "./iso-time.js";
import { decodeListCursor, encodeListCursor } from "./list-cursor.js";
import { createAddressPolicy } from "./outbound/address-policy.js";
import { createOutboundFetch, type OutboundFetch } from "./outbound/outbound-fetch.js";
import { createJwtVerifier } from "./proxy/jwt-verifier.js";
import type { NearCache, NearCacheOptions } from "./proxy/near-cache.js";
import { withNearCache } from "./proxy/near-cache-wiring.js";
import { DEFAULT_MIN_PROXY_SECRET_LENGTH } from "./proxy/secret-strength.js";
import { createProxyVerifier, type ProxyRequest, type Verified, type VerifyResult } from "./proxy/verify.js";
import type { Actor, CallContext, StoredCredential } from "./record.js";
import { compareAndSet } from "./records/compare-and-set.js";
import { assertDefinedStore } from "./records/define-store.js";
import { createExpirySweep, type ExpirySweepResult, expiryLeadTimes } from "./records/expiry-events.js";
import { DEFAULT_EXPIRED_RETENTION_MS, isLifetimeOver } from "./records/lifetime.js";
import { notFound } from "./records/not-found.js";
import { createRecords, type Records } from "./records/records.js";
import { assertPageLimit, MAX_PAGE_SIZE } from "./records/store-rules.js";
import { createRegionRouter, type RegionMap, type RegionRouter, servedRegionsInBrief } from "./regions.js";
import type {
  CreateCredentialInput,
  PublicCredential,
  TargetAuth,
  UpdateCredentialInput,
} from "./schemas/bodies.js";
import type { Secret } from "./schemas/secrets.js";
import type { ServiceHooks } from "./service-hooks.js";
import {
  assertIfMatch,
  assertImmutableKept,
  parseCreateBody,
  parseExpiresAt,
  parseSecret,
  parseUpdateBody,
} from "./service-input.js";
import { isAuthorizationCodeSecret } from "./target/authorization-code.js";
import {
  type AuthorizationCallback,
  completeAuthorization,
  pendingAuthorization,
} from "./target/complete-authorization.js";
import { createTargetContext, type TargetContext, type TargetTokenOptions } from "./target/context.js";
import { createTargetResolver } from "./target/resolve.js";
import { toPublicCredential } from "./view.js";

/** Default `pendingAuthorizationTtlMs`: 10 minutes. */
export const DEFAULT_PENDING_AUTHORIZATION_TTL_MS = 600_000;

/** Options of {@link createCredentialService}. */
export interface CredentialServiceOptions {
  /** Which store serves which region; only these regions are served. */
  regions: RegionMap;
  /** Encrypts secrets and computes lookup hashes. */
  keyring: Keyring;
  /** The region used when a create body names none; without it, `region` is required. */
  defaultRegion?: string;
  /** Milliseconds since the epoch; injectable for tests. Default `Date.now`. */
  now?: () => number;
  /**
   * The fetch used for JWKS (and token) endpoints. Default: `createOutboundFetch` with a policy that
   * refuses loopback, private and link-local addresses.
   */
  outboundFetch?: OutboundFetch;
  /**
   * JWKS caching for jwtVerify credentials, in milliseconds: how long a key set is trusted (default
   * 600000) and how soon after a fetch an unknown `kid` may trigger another (default 30000). The
   * fetch's own timeout and size limit are `outboundFetch`'s.
   */
  jwks?: { cooldownMs?: number; cacheMaxAgeMs?: number };
  /**
   * Milliseconds an oauth2 authorization-code credential stays pending (temporary) waiting for its
   * callback before it expires. Default 600000 (10 minutes).
   */
  pendingAuthorizationTtlMs?: number;
  /**
   * Milliseconds a credential past its `expiresAt` is kept (refused for every use, listed only with
   * `includeExpired`, renewable by an update) before its store deletes it by its own expiry. Default
   * 2592000000 (30 days).
   */
  expiredRetentionMs?: number;
  /** Target token caching and cross-process refresh tunables (see {@link TargetTokenOptions}). */
  targetTokens?: TargetTokenOptions;
  /**
   * Verification near cache (see `NearCacheOptions`): on by default (5 s bound) when some store is not
   * the memory store; `{ ttlMs: 0 }` turns it off. A built `createNearCache` may be passed to read its
   * stats.
   */
  nearCache?: NearCacheOptions | NearCache;
  /**
   * The fewest characters a proxy apiKey `keyValue`, bearer/jwt `token` or basicAuth `password` may
   * have (a shorter one is refused with a 400 naming the field). Default 16; lower it only to import
   * existing keys during a migration.
   */
  minProxySecretLength?: number;
  /**
   * Lifecycle events (see `service.events` and docs/events.md): `sink` keeps them durably for webhook
   * delivery (the outbox); without one they reach in-process listeners only.
   */
  events?: Pick<EventBusOptions, "sink" | "onListenerError">;
  /**
   * `credential.expiring` lead times before a credential's `expiresAt`, in milliseconds (default 7 days
   * and 1 day). The events are emitted by {@link CredentialService.sweepExpiries}; `sweepEveryMs`
   * (default 60000) is how long one process's walk of a store keeps every other process off it: set it
   * to the period the sweep is called at.
   */
  expiryEvents?: { leadTimesMs?: readonly number[]; sweepEveryMs?: number | undefined };
  /**
   * Typed events for audit and metrics (see {@link ServiceHooks}): the service calls them where things
   * happen, so no wrapper around the service is needed and a new method cannot slip past them.
   */
  hooks?: ServiceHooks;
  /**
   * Audit every target resolution of the data plane (`authorizeProxyRequest` with a target), not only
   * the single-use credentials it spends. Default false: an audit event per proxied request is opt-in.
   */
  auditDataPlaneResolves?: boolean;
}

/**
 * A created or updated credential; `authorizationUrl` is set when an oauth2 authorization-code flow
 * was started (on create, or when its secret is updated): send the end user there.
 */
export type CredentialWithAuthorization = PublicCredential & { authorizationUrl?: string };

/** Options of {@link CredentialService.list}. */
export interface ListCredentialsOptions {
  includeTemporary?: boolean;
  /** Include credentials past their `expiresAt` that their store still keeps. Default false. */
  includeExpired?: boolean;
  /** Page size, 1–1000 (default 1000). */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/** A page of public credentials; `nextCursor` is null on the last page. */
export interface CredentialPage {
  credentials: PublicCredential[];
  nextCursor: string | null;
}

/** Options of {@link CredentialService.update}. */
export interface UpdateOptions {
  /** Compare-and-set: the update applies only if the stored version equals this (else VERSION_CONFLICT). */
  ifMatch?: number;
}

/** Health of one store, for readiness checks. */
export interface StoreHealth {
  store: string;
  regions: readonly string[];
  /** True when several regions share this one store: their credentials live side by side in it. */
  shared: boolean;
  ok: boolean;
  error?: string;
}

/** The credential service: CRUD over public views, with encryption, tenancy and regions handled. */
export interface CredentialService {
  /** The served region names. */
  readonly regions: readonly string[];
  /**
   * In-process subscription to lifecycle events (created, updated, deleted, consumed, OAuth
   * authorized/refresh failed/recovered, ...): ids and metadata, never secrets. See docs/events.md.
   */
  readonly events: CredentialEvents;
  list(actor: Actor, clientId: string, options?: ListCredentialsOptions): Promise<CredentialPage>;
  create(actor: Actor, clientId: string, body: CreateCredentialInput): Promise<CredentialWithAuthorization>;
  get(actor: Actor, clientId: string, credentialId: string): Promise<PublicCredential>;
  update(
    actor: Actor,
    clientId: string,
    credentialId: string,
    body: UpdateCredentialInput,
    options?: UpdateOptions,
  ): Promise<CredentialWithAuthorization>;
  delete(actor: Actor, clientId: string, credentialId: string): Promise<void>;
  /**
   * Does this incoming request carry a valid proxy credential of `clientId`? An answer, never an
   * error: `{ ok: false, reason }` when it does not. apiKey, bearer, jwt and basicAuth credentials are
   * found by keyed hash (no decryption, no plaintext comparison); jwtVerify ones by the token's issuer.
   * A single-use credential is consumed by its first successful verification. `actor` must have
   * access to `clientId` (an embedding proxy with no user passes `systemActor()`).
   */
  verifyProxyRequest(actor: Actor, clientId: string, request: ProxyRequest): Promise<VerifyResult>;
  /**
   * The data plane's decision for one proxied request (what the `/authz` listener and an embedding
   * service's own port answer): `actor` needs the `authz` scope and access to `clientId`; the proxy
   * credential in `request` is verified as by {@link CredentialService.verifyProxyRequest}, then, only
   * when it passed, the target `targetCredentialId` (if any) is resolved into the verdict. A single-use
   * proxy credential that passed is spent even if the target then fails. Every verdict is a value
   * (`{allowed:false, reason}` for a refusal); only a malformed `clientId` rejects (VALIDATION_ERROR).
   */
  authorizeProxyRequest(
    actor: Actor,
    clientId: string,
    request: ProxyRequest,
    targetCredentialId?: string | null,
  ): Promise<ProxyVerdict>;
  /**
   * The headers and query parameters to add to an outbound request with target credential
   * `credentialId` of `clientId`. Token types (oauth2, customToken) fetch a token when none is fresh,
   * once per process (single flight) and once across processes (a store lease), and cache it encrypted
   * in the record until shortly before it expires. A single-use credential is consumed by its first
   * resolution. The result is secret: `actor` must have access to `clientId` and the `resolve` scope
   * (FORBIDDEN otherwise, checked before anything is read).
   */
  resolveTargetAuth(actor: Actor, clientId: string, credentialId: string): Promise<TargetAuth>;
  /**
   * Drops the cached access token (e.g. after the upstream answered 401), so the next resolution
   * fetches one. Same access rule as {@link CredentialService.resolveTargetAuth}.
   */
  invalidateTargetToken(actor: Actor, clientId: string, credentialId: string): Promise<void>;
  /**
   * Completes an oauth2 authorization-code flow from the callback's `state` and `code`: the credential
   * becomes permanent and active with its tokens stored encrypted. AUTHORIZATION_FAILED for an unknown,
   * forged, reused or expired state, changing nothing.
   */
  completeAuthorization(callback: AuthorizationCallback, context?: CallContext): Promise<PublicCredential>;
  /** Pings every distinct store once. */
  health(): Promise<StoreHealth[]>;
  /**
   * Walks every store once and emits the expiry events that are due: `credential.expiring` at each
   * lead time before a credential's `expiresAt`, `credential.expired` at it. Each is emitted once
   * across every process sharing the stores (a marker lease per event), so every process may call this
   * on a timer (the server does, every `CREDKIT_EXPIRY_SWEEP_SECONDS`); an event comes at most one
   * period late. Does nothing while nobody listens (no subscriber, no sink).
   */
  sweepExpiries(): Promise<ExpirySweepResult>;
}

/** Adds the authorization URL of a flow that was started to the public view. */
function withAuthorization(
  record: StoredCredential,
  started: { authorizationUrl: string } | null,
): CredentialWithAuthorization {
  const credential = toPublicCredential(record);
  return started ? { ...credential, authorizationUrl: started.authorizationUrl } : credential;
}

/** A failed access check as the rejected promise every service failure is; undefined when it passed. */
function refusal(check: () => void): Promise<never> | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    return Promise.reject(error);
  }
}

/** What the service's operations share: stores, the record layer, target handling and the clock. */
interface ServiceParts {
  router: RegionRouter;
  records: Records;
  target: TargetContext;
  now: () => number;
  pendingTtlMs: number;
  defaultRegion: string | undefined;
  nearCache: NearCache;
  minProxySecretLength: number;
  publisher: EventPublisher;
  expiredRetentionMs: number;
}

/** Creates the credential service over a region map and a keyring. */
export function createCredentialService(options: CredentialServiceOptions): CredentialService {
  const { events, publisher } = createEventBus({ ...options.events, now: options.now ?? Date.now });
  const parts = serviceParts(options, publisher);
  const { router, records, target } = parts;
  const outboundFetch = target.fetch;
  // Every verification that spent a single-use credential says so (the spend's `tell`), whoever asked.
  const verify = createProxyVerifier({
    router,
    keyring: options.keyring,
    open: records.open,
    now: parts.now,
    nearCache: parts.nearCache,
    // A spent single use is stored with its `credential.consumed` event, in the consume itself.
    spendEvent: (record) => {
      const event = publisher.draft("credential.consumed", () =>
        credentialEventData(toPublicCredential(record)),
      );
      return { event, carried: publisher.carried(event), tell: () => publisher.tell(event) };
    },
    jwt: createJwtVerifier({
      fetch: outboundFetch,
      now: parts.now,
      ...(options.jwks?.cooldownMs === undefined ? {} : { jwksCooldownMs: options.jwks.cooldownMs }),
      ...(options.jwks?.cacheMaxAgeMs === undefined ? {} : { jwksCacheMaxAgeMs: options.jwks.cacheMaxAgeMs }),
    }),
  });
  const { resolveTargetAuth, invalidateTargetToken } = createTargetResolver(target);
  const dataPlane = { verify, resolve: resolveTargetAuth };
  const hooks = options.hooks ?? {};
  // Built once: without an audit hook every call below runs as is, and no event is ever built.
  const audit = createAuditor(hooks.audit?.bind(hooks), parts.now);
  const audited = <T>(
    base: () => AuditBase,
    run: () => Promise<T>,
    learned?: (result: T) => Partial<AuditBase>,
  ): Promise<T> => (audit ? audit.around(base(), run(), learned) : run());
  const auditResolves = options.auditDataPlaneResolves === true;
  const authorize: CredentialService["authorizeProxyRequest"] = audit
    ? (actor, clientId, request, targetCredentialId) =>
        authorizeProxyRequest(dataPlane, actor, clientId, request, targetCredentialId).then((verdict) => {
          auditDataPlane(audit, actor, clientId, verdict, targetCredentialId, auditResolves);
          return verdict;
        })
    : (actor, clientId, request, targetCredentialId) =>
        authorizeProxyRequest(dataPlane, actor, clientId, request, targetCredentialId);
  /** What `verifyProxyRequest` answers for a verification, told to the hooks (and audited when spent). */
  function answer(actor: Actor, clientId: string, verified: Verified): VerifyResult {
    hooks.verification?.(
      verified.ok
        ? {
            clientId,
            outcome: verified.degraded ? "degraded" : "allowed",
            credentialId: verified.record.credentialId,
          }
        : { clientId, outcome: verified.reason },
    );
    if (!verified.ok) return verified;
    if (verified.consumed) {
      audit?.record({
        action: "credential.consume",
        outcome: "success",
        ...auditedActor(actor),
        clientId,
        credentialId: verified.record.credentialId,
      });
    }
    const credential = toPublicCredential(verified.record);
    return verified.degraded ? { ok: true, credential, degraded: true } : { ok: true, credential };
  }
  return {
    regions: router.regions,
    events,
    // Not async, for the reason `verify` is not (`proxy/verify.ts`): the answer is built in `answer`.
    verifyProxyRequest: (actor, clientId, request) =>
      refusal(() => assertClientAccess(actor, clientId)) ??
      verify(clientId, request).then((verified) => answer(actor, clientId, verified)),
    authorizeProxyRequest: authorize,
    // The access check runs first, then the call's own promise is returned as is (no extra hop).
    resolveTargetAuth: (actor, clientId, credentialId) =>
      audited(
        () => ({ action: "credential.resolve", ...auditedActor(actor), clientId, credentialId }),
        () =>
          refusal(() => assertSecretAccess(actor, clientId, "resolve")) ??
          resolveTargetAuth(clientId, credentialId),
      ),
    invalidateTargetToken: (actor, clientId, credentialId) =>
      audited(
        () => ({ action: "credential.invalidate", ...auditedActor(actor), clientId, credentialId }),
        () =>
          refusal(() => assertSecretAccess(actor, clientId, "resolve")) ??
          invalidateTargetToken(clientId, credentialId),
      ),
    completeAuthorization: (callback, context) =>
      audited(
        () => ({ action: "oauth.complete", ...auditedActor(context) }),
        async () => {
          const completed = await completeAuthorization(target, callback);
          await publisher.emit("oauth.authorized", credentialEventData(completed));
          return completed;
        },
        (completed) => ({ clientId: completed.clientId, credentialId: completed.credentialId }),
      ),
    list: (actor, clientId, listOptions = {}) => listCredentials(parts, actor, clientId, listOptions),
    create: (actor, clientId, body) =>
      audited(
        () => ({ action: "credential.create", ...auditedActor(actor), clientId }),
        () => createCredential(parts, actor, clientId, body),
        (created) => ({ credentialId: created.credentialId }),
      ),
    // Not async, for the reason `verifyProxyRequest` is not: the view is made in the read's own step.
    get: (actor, clientId, credentialId) =>
      refusal(() => assertClientAccess(actor, clientId)) ??
      records.read(clientId, credentialId, toPublicCredential),
    update: (actor, clientId, credentialId, body, updateOptions = {}) =>
      audited(
        () => ({ action: "credential.update", ...auditedActor(actor), clientId, credentialId }),
        () => updateCredential(parts, actor, clientId, credentialId, body, updateOptions),
      ),
    delete: (actor, clientId, credentialId) =>
      audited(
        () => ({ action: "credential.delete", ...auditedActor(actor), clientId, credentialId }),
        () => deleteCredential(parts, actor, clientId, credentialId),
      ),
    health: () => storeHealth(router),
    sweepExpiries: createExpirySweep({
      router,
      publisher,
      now: parts.now,
      expiredRetentionMs: parts.expiredRetentionMs,
      leadTimesMs: expiryLeadTimes(options.expiryEvents?.leadTimesMs),
      sweepEveryMs: options.expiryEvents?.sweepEveryMs,
    }),
  };
}

/** Deletes one credential (read first when someone listens to lifecycle events). */
async function deleteCredential(parts: ServiceParts, actor: Actor, clientId: string, credentialId: string) {
  assertClientAccess(actor, clientId);
  if (parts.publisher.active) return deleteReported(parts, actor, clientId, credentialId);
  const store = parts.router.storeForId(credentialId);
  if (!store || !(await store.delete(clientId, credentialId))) throw notFound(credentialId);
}

/**
 * Delete when someone listens: the record is read first so `credential.deleted` can name what was
 * deleted (a delete that loses a race to another delete or a consume reports NOT_FOUND and no event).
 */
async function deleteReported(parts: ServiceParts, actor: Actor, clientId: string, credentialId: string) {
  const { store, record } = await parts.records.load(clientId, credentialId);
  const { publisher } = parts;
  const event = publisher.draft("credential.deleted", () =>
    credentialEventData(toPublicCredential(record), actor.userId),
  );
  const removed = await store.delete(clientId, credentialId, publisher.carried(event), record);
  if (!removed) throw notFound(credentialId);
  publisher.tell(event);
}

/** The stores, the record layer and the target context. */
function serviceParts(options: CredentialServiceOptions, publisher: EventPublisher): ServiceParts {
  const now = options.now ?? Date.now;
  // The shared store rules were applied when each store was built; one built otherwise is refused.
  for (const store of Object.values(options.regions)) assertDefinedStore(store);
  // Every store announces its writes to the near cache (the stores call it: see `addStoreHooks`).
  const nearCache = withNearCache(options.regions, options.nearCache, now);
  const router = createRegionRouter(options.regions);
  if (options.defaultRegion !== undefined) router.storeForRegion(options.defaultRegion);
  const expiredRetentionMs = options.expiredRetentionMs ?? DEFAULT_EXPIRED_RETENTION_MS;
  if (!Number.isSafeInteger(expiredRetentionMs) || expiredRetentionMs < 0) {
    throw new CredkitError(
      "CONFIGURATION_ERROR",
      "expiredRetentionMs must be a whole number of milliseconds, 0 or more",
    );
  }
  const records = createRecords({ router, keyring: options.keyring, expiredRetentionMs });
  const target = createTargetContext({
    records,
    fetch: options.outboundFetch ?? createOutboundFetch({ policy: createAddressPolicy() }),
    now,
    publisher,
    ...(options.targetTokens ? { tokens: options.targetTokens } : {}),
  });
  return {
    router,
    records,
    target,
    now,
    pendingTtlMs: options.pendingAuthorizationTtlMs ?? DEFAULT_PENDING_AUTHORIZATION_TTL_MS,
    defaultRegion: options.defaultRegion,
    nearCache,
    minProxySecretLength: options.minProxySecretLength ?? DEFAULT_MIN_PROXY_SECRET_LENGTH,
    publisher,
    expiredRetentionMs,
  };
}

/**
 * `record` holding `secret`: sealed, its cached tokens dropped, and, for an authorization-code secret,
 * waiting (temporary when new) for the callback of the authorization it starts.
 */
function withSecret(parts: ServiceParts, record: StoredCredential, secret: Secret, isNew: boolean) {
  const sealed: StoredCredential = {
    ...record,
    ...parts.records.seal(record, secret),
    tokenState: null,
    status: "active",
  };
  if (!isAuthorizationCodeSecret(secret)) {
    // A pending credential given a secret that needs no authorization is usable now: permanent.
    const permanent = record.status === "pending_authorization";
    const usable = permanent
      ? { ...sealed, temporary: false, expiresAt: parts.records.retainedUntil(sealed) }
      : sealed;
    return { record: usable, started: null };
  }
  const started = pendingAuthorization(parts.target, sealed, secret);
  const pending: StoredCredential = {
    ...sealed,
    tokenState: started.tokenState,
    status: "pending_authorization",
    ...(isNew || sealed.temporary ? { temporary: true, expiresAt: pendingDeadline(parts, sealed) } : {}),
  };
  return { record: pending, started };
}

/** A pending record's `expiresAt` at rest: its authorization deadline, or its retention's end if earlier. */
function pendingDeadline(parts: ServiceParts, record: StoredCredential): number {
  return Math.min(
    parts.now() + parts.pendingTtlMs,
    parts.records.retainedUntil(record) ?? Number.POSITIVE_INFINITY,
  );
}

/** A page of a client's credentials, walking the stores one after another (each asked once per page). */
async function listCredentials(
  { router, now }: ServiceParts,
  actor: Actor,
  clientId: string,
  options: ListCredentialsOptions,
): Promise<CredentialPage> {
  assertClientAccess(actor, clientId);
  const limit = options.limit ?? MAX_PAGE_SIZE;
  assertPageLimit(limit);
  const stores = router.stores;
  let position =
    options.cursor === undefined
      ? { store: 0, cursor: null }
      : decodeListCursor(options.cursor, stores.length);
  const found: StoredCredential[] = [];
  while (found.length < limit && position.store < stores.length) {
    const { store } = stores[position.store] as (typeof stores)[number];
    const page = await store.list(clientId, {
      limit: limit - found.length,
      cursor: position.cursor ?? undefined,
      includeTemporary: options.includeTemporary ?? false,
    });
    // Expired credentials are filtered here, in core, so every store hides them alike; a page may
    // come out shorter than `limit` (even empty) while `nextCursor` still leads on.
    const at = now();
    for (const item of page.items) if (options.includeExpired || !isLifetimeOver(item, at)) found.push(item);
    position =
      page.cursor === null
        ? { store: position.store + 1, cursor: null }
        : { ...position, cursor: page.cursor };
    if (page.cursor !== null) break;
  }
  return {
    credentials: found.map(toPublicCredential),
    nextCursor: position.store < stores.length ? encodeListCursor(position) : null,
  };
}

/** Validates the body, builds the record (sealed; pending for an authorization-code flow) and inserts it. */
async function createCredential(
  parts: ServiceParts,
  actor: Actor,
  clientId: string,
  body: unknown,
): Promise<CredentialWithAuthorization> {
  assertClientAccess(actor, clientId);
  assertMayWriteCredentials(actor);
  const { input, secret } = parseCreateBody(body, parts.minProxySecretLength);
  const lifetimeEndsAt = parseExpiresAt(input.expiresAt, parts.now()) ?? null;
  // The parent is a client too: the caller must be allowed to reach it.
  if (input.parentId !== undefined && input.parentId !== clientId) assertClientAccess(actor, input.parentId);
  const region = input.region ?? parts.defaultRegion;
  if (region === undefined) {
    const { regions } = parts.router;
    throw new CredkitError(
      "VALIDATION_ERROR",
      `Invalid request: region is required; ${servedRegionsInBrief(regions)}`,
      {
        errors: [{ path: "region", message: `is required; served regions: ${regions.join(", ")}` }],
      },
    );
  }
  const store = parts.router.storeForRegion(region);
  const at = isoTime(parts.now());
  const { record, started } = withSecret(
    parts,
    withLifetime(
      parts,
      {
        clientId,
        credentialId: newCredentialId(region),
        region,
        credentialType: input.credentialType,
        authType: input.authType,
        name: input.credentialName,
        defaultRuleEffect: input.credentialDefaultRuleEffect,
        singleUse: input.singleUse,
        temporary: false,
        expiresAt: null,
        userId: actor.userId,
        parentId: input.parentId ?? clientId,
        createdAt: at,
        updatedAt: at,
        version: 1,
        secret: "",
        lookupHash: null,
        tokenState: null,
        status: "active",
      },
      lifetimeEndsAt,
    ),
    secret,
    true,
  );
  await parts.records.assertLookupFree(record, secret, store);
  const created = withAuthorization(record, started);
  // The event is stored by the insert itself, in the same atomic step (see WriteEvents).
  const event = parts.publisher.draft("credential.created", () => credentialEventData(created, actor.userId));
  await parts.records.insert(store, record, parts.publisher.carried(event));
  parts.publisher.tell(event);
  return created;
}

/**
 * A partial update by compare-and-set. Without If-Match, a write that lost to another is applied again
 * over it, so no field the other writer set is lost; with it, a moved version is VERSION_CONFLICT.
 */
async function updateCredential(
  parts: ServiceParts,
  actor: Actor,
  clientId: string,
  credentialId: string,
  body: unknown,
  options: UpdateOptions,
): Promise<CredentialWithAuthorization> {
  assertClientAccess(actor, clientId);
  assertMayWriteCredentials(actor);
  const input = parseUpdateBody(body);
  const lifetimeEndsAt = parseExpiresAt(input.expiresAt, parts.now());
  const { store, record } = await parts.records.load(clientId, credentialId);
  let started: { authorizationUrl: string } | null = null;
  let event: AnyCredkitEvent | null = null;
  // Drafted for each attempt's record, so the stored event names the version the write produced.
  const events = (next: StoredCredential) => {
    event = parts.publisher.draft("credential.updated", () =>
      credentialEventData(toPublicCredential(next), actor.userId),
    );
    return parts.publisher.carried(event);
  };
  const saved = await compareAndSet(
    store,
    record,
    async (current) => {
      assertImmutableKept(input, current);
      assertIfMatch(options.ifMatch, current);
      const kept = lifetimeEndsAt === undefined ? current : withLifetime(parts, current, lifetimeEndsAt);
      const renamed: StoredCredential = {
        ...kept,
        name: input.credentialName ?? current.name,
        defaultRuleEffect: input.credentialDefaultRuleEffect ?? current.defaultRuleEffect,
        singleUse: input.singleUse ?? current.singleUse,
        updatedAt: isoTime(parts.now()),
      };
      if (input.secret === undefined) return renamed;
      // A new secret drops the cached tokens; an authorization-code one starts a new authorization.
      const secret = parseSecret(
        current.authType,
        input.secret,
        current.credentialType,
        parts.minProxySecretLength,
      );
      const next = withSecret(parts, renamed, secret, false);
      await parts.records.assertLookupFree(next.record, secret, store);
      started = next.started;
      return next.record;
    },
    { events },
  );
  const updated = withAuthorization(saved as StoredCredential, started);
  parts.publisher.tell(event);
  return updated;
}

/**
 * `record` with the lifetime `lifetimeEndsAt` (the field left out when null, so a credential without
 * one keeps today's shape at rest) and the `expiresAt` at rest that follows from it.
 */
function withLifetime(
  parts: ServiceParts,
  record: StoredCredential,
  lifetimeEndsAt: number | null,
): StoredCredential {
  const next: StoredCredential =
    lifetimeEndsAt !== null ? { ...record, lifetimeEndsAt } : withoutLifetime(record);
  const retained = parts.records.retainedUntil(next);
  // A pending record keeps its authorization deadline (or its new retention's end, if earlier).
  const expiresAt =
    record.temporary && record.expiresAt !== null
      ? Math.min(record.expiresAt, retained ?? Number.POSITIVE_INFINITY)
      : retained;
  return { ...next, expiresAt };
}

/**
 * `record` without its `lifetimeEndsAt` field, as is when it has none (every create): a rest copy that
 * leaves a key out builds its object key by key, the costliest copy of a create (bench http).
 */
function withoutLifetime(record: StoredCredential): StoredCredential {
  if (!("lifetimeEndsAt" in record)) return record;
  const { lifetimeEndsAt: _dropped, ...rest } = record;
  return rest;
}

/** Pings every distinct store once. */
function storeHealth(router: RegionRouter): Promise<StoreHealth[]> {
  return Promise.all(
    router.stores.map(async ({ store, regions }) => {
      try {
        await store.ping();
        return { store: store.name, regions, shared: regions.length > 1, ok: true };
      } catch (error) {
        return {
          store: store.name,
          regions,
          shared: regions.length > 1,
          ok: false,
          error: error instanceof Error ? error.message : "unreachable",
        };
      }
    }),
  );
}
