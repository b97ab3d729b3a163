import { assertClientAccess, assertSecretAccess } from "./access.js";
import { recordIdentity } from "./crypto/envelope.js";
import type { Keyring } from "./crypto/keyring.js";
import { CredkitError, isCredkitError } from "./errors.js";
import { newCredentialId } from "./ids.js";
import { decodeListCursor, encodeListCursor } from "./list-cursor.js";
import { lookupValueOf } from "./lookup.js";
import { createAddressPolicy } from "./outbound/address-policy.js";
import { createOutboundFetch, type OutboundFetch } from "./outbound/outbound-fetch.js";
import { createJwtVerifier } from "./proxy/jwt-verifier.js";
import { createProxyVerifier, type ProxyRequest, type VerifyResult } from "./proxy/verify.js";
import type { Actor, CallContext, StoredCredential } from "./record.js";
import { createRegionRouter, type RegionMap, type RegionRouter } from "./regions.js";
import {
  createCredentialBody,
  type PublicCredential,
  type TargetAuth,
  updateCredentialBody,
} from "./schemas/bodies.js";
import { invalid, parseOrThrow } from "./schemas/parse.js";
import { allowedAuthTypes, type Secret, secretSchemas } from "./schemas/secrets.js";
import type { CredentialStore } from "./storage.js";
import { isAuthorizationCodeSecret } from "./target/authorization-code.js";
import {
  type AuthorizationCallback,
  completeAuthorization,
  pendingAuthorization,
} from "./target/complete-authorization.js";
import { createTargetContext, notFound, type TargetTokenOptions } from "./target/context.js";
import { createTargetResolver } from "./target/resolve.js";
import { toPublicCredential } from "./view.js";

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
  /** Target token caching and cross-process refresh tunables (see {@link TargetTokenOptions}). */
  targetTokens?: TargetTokenOptions;
}

/**
 * A created or updated credential; `authorizationUrl` is set when an oauth2 authorization-code flow
 * was started (on create, or when its secret is updated): send the end user there.
 */
export type CredentialWithAuthorization = PublicCredential & { authorizationUrl?: string };

/** Options of {@link CredentialService.list}. */
export interface ListCredentialsOptions {
  includeTemporary?: boolean;
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
  ok: boolean;
  error?: string;
}

/** The credential service: CRUD over public views, with encryption, tenancy and regions handled. */
export interface CredentialService {
  /** The served region names. */
  readonly regions: readonly string[];
  list(actor: Actor, clientId: string, options?: ListCredentialsOptions): Promise<CredentialPage>;
  create(actor: Actor, clientId: string, body: unknown): Promise<CredentialWithAuthorization>;
  get(actor: Actor, clientId: string, credentialId: string): Promise<PublicCredential>;
  update(
    actor: Actor,
    clientId: string,
    credentialId: string,
    body: unknown,
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
}

const MAX_LIST_LIMIT = 1000;
// Without If-Match an update re-reads and retries on a concurrent write, so it never drops the other
// writer's fields; a handful of rounds is plenty unless the record is under a write storm.
const UPDATE_ATTEMPTS = 8;

/** CONFLICT for a proxy credential whose secret (or jwtVerify issuer) another one of the client has. */
function duplicateLookup(record: StoredCredential, cause?: unknown): CredkitError {
  const message =
    record.authType === "jwtVerify"
      ? "This client already has a jwtVerify credential for this issuer"
      : "This client already has a proxy credential with the same secret";
  return new CredkitError("CONFLICT", message, cause === undefined ? {} : { cause });
}

function parseSecret(authType: keyof typeof secretSchemas, secret: unknown): Secret {
  if (secret === undefined && authType !== "none")
    throw invalid([{ path: "secret", message: "is required" }]);
  return parseOrThrow(secretSchemas[authType], secret ?? {}, ["secret"]) as Secret;
}

/** Creates the credential service over a region map and a keyring. */
export function createCredentialService(options: CredentialServiceOptions): CredentialService {
  const router: RegionRouter = createRegionRouter(options.regions);
  const { keyring } = options;
  const now = options.now ?? Date.now;
  if (options.defaultRegion !== undefined) router.storeForRegion(options.defaultRegion);

  const outboundFetch = options.outboundFetch ?? createOutboundFetch({ policy: createAddressPolicy() });
  const target = createTargetContext({
    router,
    keyring,
    fetch: outboundFetch,
    now,
    ...(options.targetTokens ? { tokens: options.targetTokens } : {}),
  });
  const verifyProxyRequest = createProxyVerifier({
    router,
    keyring,
    openSecret: target.openSecret,
    jwt: createJwtVerifier({
      fetch: outboundFetch,
      now,
      ...(options.jwks?.cooldownMs === undefined ? {} : { jwksCooldownMs: options.jwks.cooldownMs }),
      ...(options.jwks?.cacheMaxAgeMs === undefined ? {} : { jwksCacheMaxAgeMs: options.jwks.cacheMaxAgeMs }),
    }),
  });
  const { resolveTargetAuth, invalidateTargetToken } = createTargetResolver(target);
  const pendingTtlMs = options.pendingAuthorizationTtlMs ?? 600_000;

  function sealed(record: StoredCredential, secret: Secret): Pick<StoredCredential, "secret" | "lookupHash"> {
    const lookupValue = lookupValueOf(record.credentialType, record.authType, secret);
    return {
      secret: keyring.encrypt(JSON.stringify(secret), recordIdentity(record)),
      lookupHash: lookupValue === null ? null : keyring.lookupHash(lookupValue),
    };
  }

  /**
   * The store enforces a proxy secret's uniqueness for its own records under the active key's hash.
   * With several stores or several keys (during a rotation) the same secret could still hide under
   * another store or an older key's hash: look for it there first (only then, so the common case costs
   * nothing). A check before the write, so across stores it is best effort, not atomic.
   */
  async function assertLookupFree(
    record: StoredCredential,
    secret: Secret,
    destination: CredentialStore,
  ): Promise<void> {
    const value = lookupValueOf(record.credentialType, record.authType, secret);
    if (value === null || (router.stores.length === 1 && keyring.keyIds.length === 1)) return;
    const [active, ...older] = keyring.lookupHashes(value);
    const checks = router.stores.flatMap(({ store }) =>
      (store === destination ? older : [active as string, ...older]).map((hash) =>
        store.findByLookup(record.clientId, hash),
      ),
    );
    const holders = await Promise.all(checks);
    if (holders.some((holder) => holder !== null && holder.credentialId !== record.credentialId)) {
      throw duplicateLookup(record);
    }
  }

  return {
    regions: router.regions,
    async verifyProxyRequest(actor, clientId, request) {
      assertClientAccess(actor, clientId);
      return verifyProxyRequest(clientId, request);
    },
    async resolveTargetAuth(actor, clientId, credentialId) {
      assertSecretAccess(actor, clientId, "resolve");
      return resolveTargetAuth(clientId, credentialId);
    },
    async invalidateTargetToken(actor, clientId, credentialId) {
      assertSecretAccess(actor, clientId, "resolve");
      return invalidateTargetToken(clientId, credentialId);
    },
    completeAuthorization: (callback) => completeAuthorization(target, callback),

    async list(actor, clientId, listOptions = {}) {
      assertClientAccess(actor, clientId);
      const limit = listOptions.limit ?? MAX_LIST_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
        throw invalid([{ path: "limit", message: `must be an integer from 1 to ${MAX_LIST_LIMIT}` }]);
      }
      const stores = router.stores;
      let position =
        listOptions.cursor === undefined
          ? { store: 0, cursor: null }
          : decodeListCursor(listOptions.cursor, stores.length);
      const records: StoredCredential[] = [];
      // Stores are walked one after another; each is asked at most once per page.
      while (records.length < limit && position.store < stores.length) {
        const { store } = stores[position.store] as (typeof stores)[number];
        const page = await store.list(clientId, {
          limit: limit - records.length,
          cursor: position.cursor ?? undefined,
          includeTemporary: listOptions.includeTemporary ?? false,
        });
        records.push(...page.items);
        position =
          page.cursor === null
            ? { store: position.store + 1, cursor: null }
            : { ...position, cursor: page.cursor };
        if (page.cursor !== null) break;
      }
      return {
        credentials: records.map(toPublicCredential),
        nextCursor: position.store < stores.length ? encodeListCursor(position) : null,
      };
    },

    async create(actor, clientId, body) {
      assertClientAccess(actor, clientId);
      const input = parseOrThrow(createCredentialBody, body);
      const allowed: readonly string[] = allowedAuthTypes[input.credentialType];
      if (!allowed.includes(input.authType)) {
        throw invalid([
          {
            path: "authType",
            message: `"${input.authType}" is not allowed for ${input.credentialType} credentials; allowed: ${allowed.join(", ")}`,
          },
        ]);
      }
      const secret = parseSecret(input.authType, input.secret);
      const region = input.region ?? options.defaultRegion;
      if (region === undefined)
        throw invalid([
          { path: "region", message: `is required; served regions: ${router.regions.join(", ")}` },
        ]);
      const store = router.storeForRegion(region);
      const at = new Date(now()).toISOString();
      const base: StoredCredential = {
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
      };
      // An authorization-code credential waits, temporary, for its callback (see completeAuthorization).
      const authorizing = isAuthorizationCodeSecret(secret);
      if (authorizing)
        Object.assign(base, {
          temporary: true,
          expiresAt: now() + pendingTtlMs,
          status: "pending_authorization",
        });
      const record = { ...base, ...sealed(base, secret) };
      const started = authorizing ? pendingAuthorization(target, record, secret) : null;
      if (started) record.tokenState = started.tokenState;
      await assertLookupFree(record, secret, store);
      try {
        await store.create(record);
      } catch (error) {
        if (isCredkitError(error, "CONFLICT") && record.lookupHash !== null)
          throw duplicateLookup(record, error);
        throw error;
      }
      const created = toPublicCredential(record);
      return started ? { ...created, authorizationUrl: started.authorizationUrl } : created;
    },

    async get(actor, clientId, credentialId) {
      assertClientAccess(actor, clientId);
      return toPublicCredential((await target.load(clientId, credentialId)).record);
    },

    async update(actor, clientId, credentialId, body, updateOptions = {}) {
      assertClientAccess(actor, clientId);
      const input = parseOrThrow(updateCredentialBody, body);
      const changes = Object.keys(input).filter((key) => input[key as keyof typeof input] !== undefined);
      if (changes.length === 0) {
        throw invalid([
          {
            path: "body",
            message: "name at least one of credentialName, secret, credentialDefaultRuleEffect, singleUse",
          },
        ]);
      }
      for (let attempt = 1; ; attempt++) {
        const { store, record } = await target.load(clientId, credentialId);
        const immutable = [
          ["credentialType", input.credentialType, record.credentialType],
          ["authType", input.authType, record.authType],
          ["region", input.region, record.region],
        ] as const;
        const changed = immutable.filter(([, wanted, current]) => wanted !== undefined && wanted !== current);
        if (changed.length > 0) {
          throw invalid(
            changed.map(([path]) => ({
              path,
              message: "cannot be changed; create a new credential instead",
            })),
          );
        }
        if (updateOptions.ifMatch !== undefined && updateOptions.ifMatch !== record.version) {
          throw new CredkitError(
            "VERSION_CONFLICT",
            `The credential is at version ${record.version}, not ${updateOptions.ifMatch}`,
          );
        }
        const next: StoredCredential = {
          ...record,
          name: input.credentialName ?? record.name,
          defaultRuleEffect: input.credentialDefaultRuleEffect ?? record.defaultRuleEffect,
          singleUse: input.singleUse ?? record.singleUse,
          updatedAt: new Date(now()).toISOString(),
          version: record.version + 1,
        };
        let started: ReturnType<typeof pendingAuthorization> | null = null;
        if (input.secret !== undefined) {
          // A new secret drops the cached tokens; an authorization-code one starts a new authorization.
          const secret = parseSecret(record.authType, input.secret);
          Object.assign(next, sealed(next, secret), { tokenState: null, status: "active" });
          await assertLookupFree(next, secret, store);
          if (isAuthorizationCodeSecret(secret)) {
            started = pendingAuthorization(target, next, secret);
            next.tokenState = started.tokenState;
            next.status = "pending_authorization";
            if (next.temporary) next.expiresAt = now() + pendingTtlMs;
          }
        }
        try {
          const saved = await store.update(next, record.version, record.lookupHash);
          if (!saved) throw notFound(credentialId);
          const updated = toPublicCredential(saved);
          return started ? { ...updated, authorizationUrl: started.authorizationUrl } : updated;
        } catch (error) {
          const retry = isCredkitError(error, "VERSION_CONFLICT") && updateOptions.ifMatch === undefined;
          if (!retry || attempt >= UPDATE_ATTEMPTS) throw error;
        }
      }
    },

    async delete(actor, clientId, credentialId) {
      assertClientAccess(actor, clientId);
      const store = router.storeForId(credentialId);
      if (!store || !(await store.delete(clientId, credentialId))) throw notFound(credentialId);
    },

    async health() {
      return Promise.all(
        router.stores.map(async ({ store, regions }) => {
          try {
            await store.ping();
            return { store: store.name, regions, ok: true };
          } catch (error) {
            return {
              store: store.name,
              regions,
              ok: false,
              error: error instanceof Error ? error.message : "unreachable",
            };
          }
        }),
      );
    },
  };
}
