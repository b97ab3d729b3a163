import { BoundedMap } from "../bounded-map.js";
import type { StoredCredential } from "../record.js";
import type { CredentialStore } from "../storage.js";

/**
 * One change to a client's records, announced after the write succeeded. Carries ids only, never
 * secret material. Every cached verdict of `clientId` is dropped when it arrives (a client's negative
 * entries too, so a new credential verifies at once).
 */
export interface Invalidation {
  clientId: string;
  credentialId: string;
}

/** What a subscriber of an {@link InvalidationChannel} is told. */
export interface InvalidationListener {
  /** A record of `event.clientId` changed somewhere (this process or another). */
  invalidate(event: Invalidation): void;
  /**
   * The subscription dropped or came back: events may have been missed, so everything cached is
   * dropped; `connected` says whether invalidations flow again.
   */
  reset(connected: boolean): void;
}

/**
 * The small interface through which processes sharing a store tell each other that records changed
 * (e.g. Redis pub/sub, see `redisInvalidationChannel` in `@credkit/storage-redis`). Without one a near
 * cache relies on its time bound alone. A custom store may offer one; the storage contract is unchanged.
 */
export interface InvalidationChannel {
  /**
   * Announces `event` to every subscribed process (this one included). Rejects when it cannot.
   *
   * With `confirmWithinMs`, waits (at most that long) until every process that was subscribed when the
   * event was sent has confirmed it dropped the client's verdicts, and resolves `true` only then.
   * `false` (or a rejection) means "not confirmed": the writer then waits out the near cache's time
   * bound before its write returns. A channel that cannot confirm always answers `false`; it must never
   * answer `true` while a subscribed process may still hold the verdicts.
   */
  publish(event: Invalidation, confirmWithinMs?: number): Promise<boolean>;
  /**
   * Delivers every published event to `listener` until the returned function is called. Resolves once
   * subscribed (it keeps resubscribing by itself after a drop, calling `listener.reset`).
   */
  subscribe(listener: InvalidationListener): Promise<() => Promise<void>>;
}

/** Options of the verification near cache. */
export interface NearCacheOptions {
  /**
   * Milliseconds a verdict may be served without asking the store: the revocation delay when no
   * invalidation arrives (a custom store without a channel, DynamoDB, or a dropped subscription).
   * `0` turns the cache off. Default 5000 when some store is not the memory store, else 0.
   */
  ttlMs?: number;
  /** At most this many verdicts are kept; the oldest go first. Default 10000. */
  maxEntries?: number;
  /** Cross-process invalidation; without it only the time bound (and this process's writes) apply. */
  channel?: InvalidationChannel;
}

/** Counters for metrics: served from the cache, asked the store, client invalidations applied. */
export interface NearCacheStats {
  hits: number;
  misses: number;
  invalidations: number;
}

/**
 * A cached verdict for one presented value: the record it led to (its public fields and version, with
 * `tokenState` blanked and `secret` too, except a jwtVerify record's sealed envelope, which the verifier
 * opens through the record layer's one cache of opened secrets: never plaintext) and its store, or null
 * for "no credential".
 */
export interface CachedFind {
  record: StoredCredential;
  store: CredentialStore;
}

interface Entry {
  clientId: string;
  found: CachedFind | null;
  expiresAt: number;
  /** The client's generation when the verdict was read: once an invalidation moved it on, it is stale. */
  generation: number;
}

/**
 * When a store read began, taken before it (see {@link NearCache.generation}): the client's
 * invalidation generation then, and the time. A verdict lives `ttlMs` from the start of the read that
 * produced it, not from its arrival, so a writer that waits `ttlMs` after its write knows every
 * verdict read before the write has expired, however slow that read was.
 */
export interface ReadStamp {
  readonly generation: number;
  readonly at: number;
}

/** The verification near cache: see {@link NearCacheOptions}. */
export interface NearCache {
  readonly enabled: boolean;
  /** Milliseconds a verdict lives at most (0 when disabled): the bound a writer waits out when unconfirmed. */
  readonly ttlMs: number;
  /** Where this process's writes are announced, when there is a channel. */
  readonly channel: InvalidationChannel | undefined;
  readonly stats: NearCacheStats;
  /** The cached verdict under `key` (undefined: not cached or expired). */
  get(key: string): CachedFind | null | undefined;
  /**
   * Caches a verdict read from the store at `generation()` time: dropped if an invalidation of the
   * client arrived meanwhile (the read may predate the write), or if the cache has a channel that is
   * not subscribed (it would not hear of the next write). Single-use records are never cached.
   */
  set(key: string, clientId: string, found: CachedFind | null, readAt: ReadStamp): void;
  /** The stamp of a read of `clientId` about to begin (take it before reading the store). */
  generation(clientId: string): ReadStamp;
  /** Drops every verdict of `event.clientId` and tells the other listeners (jwtVerify configs). */
  invalidate(event: Invalidation): void;
  /** Drops everything. */
  clear(): void;
  /** Called with each invalidated client id (and null for a full clear), after the cache dropped it. */
  onInvalidate(listener: (clientId: string | null) => void): void;
  /** Stops the channel subscription. */
  close(): Promise<void>;
}

/** Default `ttlMs` of the near cache when some store is not the memory store (see {@link defaultNearCacheTtlMs}). */
export const DEFAULT_NEAR_CACHE_TTL_MS = 5_000;
/** Default `maxEntries` of the near cache. */
export const DEFAULT_NEAR_CACHE_MAX_ENTRIES = 10_000;

/** The default time bound: on when some store is not the in-process memory store. */
export function defaultNearCacheTtlMs(stores: readonly CredentialStore[]): number {
  return stores.some((store) => store.name !== "memory") ? DEFAULT_NEAR_CACHE_TTL_MS : 0;
}

/**
 * Builds the near cache. Its entries live `ttlMs` at most; every invalidation (local write, or one
 * from the channel) drops the client's entries at once.
 */
export function createNearCache(
  options: NearCacheOptions & { ttlMs: number; now?: () => number },
): NearCache {
  const ttlMs = options.ttlMs;
  const maxEntries = options.maxEntries ?? DEFAULT_NEAR_CACHE_MAX_ENTRIES;
  const now = options.now ?? Date.now;
  const enabled = ttlMs > 0 && maxEntries > 0;
  // The oldest verdict goes first when it is full.
  const entries = new BoundedMap<string, Entry>(Math.max(1, Math.floor(maxEntries) || 1));
  // Bumped by every invalidation of a client: a verdict read before one is never served, and a store
  // read that began before one is not cached. An invalidation so costs the same however many verdicts
  // the client has (they are not looked for: stale ones wait for the bound to push them out).
  const generations = new Map<string, number>();
  let epoch = 0;
  const listeners: ((clientId: string | null) => void)[] = [];
  const stats: NearCacheStats = { hits: 0, misses: 0, invalidations: 0 };
  let unsubscribe: (() => Promise<void>) | null = null;
  let closed = false;
  // With a channel, verdicts are cached only while it is subscribed: a writer waits for the
  // confirmation of the processes subscribed when it published, so one that is not must hold nothing.
  let listening = options.channel === undefined;

  // Stryker disable next-line ArithmeticOperator: only equality is compared, and each variant keeps (epoch, generation) pairs apart
  const generationOf = (clientId: string) => epoch * 2 ** 26 + (generations.get(clientId) ?? 0);

  const cache: NearCache = {
    enabled,
    ttlMs: enabled ? ttlMs : 0,
    channel: options.channel,
    stats,
    get(key) {
      if (!enabled) return undefined;
      const entry = entries.get(key);
      if (!entry || entry.expiresAt <= now() || entry.generation !== generationOf(entry.clientId)) {
        // Stryker disable next-line ConditionalExpression: memory upkeep only; an expired or stale entry is never served and the bounded map drops it
        if (entry) entries.delete(key);
        stats.misses++;
        return undefined;
      }
      stats.hits++;
      return entry.found;
    },
    generation(clientId) {
      return { generation: generationOf(clientId), at: now() };
    },
    set(key, clientId, found, readAt) {
      if (!enabled || !listening || found?.record.singleUse) return;
      if (generationOf(clientId) !== readAt.generation) return;
      const kept = found?.record;
      const record = kept
        ? { ...kept, secret: kept.authType === "jwtVerify" ? kept.secret : "", tokenState: null }
        : null;
      entries.set(key, {
        clientId,
        // Stryker disable next-line LogicalOperator: `record` is null exactly when `found` is
        found: found && record ? { record, store: found.store } : null,
        expiresAt: Math.min(readAt.at + ttlMs, found?.record.expiresAt ?? Number.POSITIVE_INFINITY),
        generation: readAt.generation,
      });
    },
    invalidate({ clientId }) {
      // Stryker disable next-line ArithmeticOperator: only equality of generations is compared; any step changes it
      generations.set(clientId, (generations.get(clientId) ?? 0) + 1);
      if (generations.size > maxEntries * 4) {
        // Bounded memory: a new epoch makes every verdict and every read in flight stale, like a clear.
        generations.clear();
        // Stryker disable next-line UpdateOperator: only equality is compared; any step changes the epoch
        epoch++;
      }
      stats.invalidations++;
      for (const listener of listeners) listener(clientId);
    },
    clear() {
      entries.clear();
      generations.clear();
      // Stryker disable next-line UpdateOperator: only equality is compared; any step changes the epoch
      epoch++;
      for (const listener of listeners) listener(null);
    },
    onInvalidate(listener) {
      listeners.push(listener);
    },
    async close() {
      // A subscription still on its way is stopped when it lands (below): closing never waits on it.
      closed = true;
      const stop = unsubscribe;
      unsubscribe = null;
      await stop?.();
    },
  };

  if (enabled && options.channel) {
    // Subscribing is asynchronous: until it answers, nothing is cached (`listening` is false).
    const listen = (connected: boolean) => {
      // The clear also discards reads in flight: one that began before the subscription may be stale.
      listening = connected;
      cache.clear();
    };
    void options.channel.subscribe({ invalidate: (event) => cache.invalidate(event), reset: listen }).then(
      (stop) => {
        if (closed) return stop().catch(() => undefined);
        unsubscribe = stop;
        listen(true);
      },
      () => undefined,
    );
  }
  return cache;
}
