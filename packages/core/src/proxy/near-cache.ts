function stryNS_9fa48() {
  var g = typeof globalThis === 'object' && globalThis && globalThis.Math === Math && globalThis || new Function("return this")();
  var ns = g.__stryker__ || (g.__stryker__ = {});
  if (ns.activeMutant === undefined && g.process && g.process.env && g.process.env.__STRYKER_ACTIVE_MUTANT__) {
    ns.activeMutant = g.process.env.__STRYKER_ACTIVE_MUTANT__;
  }
  function retrieveNS() {
    return ns;
  }
  stryNS_9fa48 = retrieveNS;
  return retrieveNS();
}
stryNS_9fa48();
function stryCov_9fa48() {
  var ns = stryNS_9fa48();
  var cov = ns.mutantCoverage || (ns.mutantCoverage = {
    static: {},
    perTest: {}
  });
  function cover() {
    var c = cov.static;
    if (ns.currentTestId) {
      c = cov.perTest[ns.currentTestId] = cov.perTest[ns.currentTestId] || {};
    }
    var a = arguments;
    for (var i = 0; i < a.length; i++) {
      c[a[i]] = (c[a[i]] || 0) + 1;
    }
  }
  stryCov_9fa48 = cover;
  cover.apply(null, arguments);
}
function stryMutAct_9fa48(id) {
  var ns = stryNS_9fa48();
  function isActive(id) {
    if (ns.activeMutant === id) {
      if (ns.hitCount !== void 0 && ++ns.hitCount > ns.hitLimit) {
        throw new Error('Stryker: Hit count limit reached (' + ns.hitCount + ')');
      }
      return true;
    }
    return false;
  }
  stryMutAct_9fa48 = isActive;
  return isActive(id);
}
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
  if (stryMutAct_9fa48("55")) {
    {}
  } else {
    stryCov_9fa48("55");
    return (stryMutAct_9fa48("56") ? stores.every(store => store.name !== "memory") : (stryCov_9fa48("56"), stores.some(stryMutAct_9fa48("57") ? () => undefined : (stryCov_9fa48("57"), store => stryMutAct_9fa48("60") ? store.name === "memory" : stryMutAct_9fa48("59") ? false : stryMutAct_9fa48("58") ? true : (stryCov_9fa48("58", "59", "60"), store.name !== (stryMutAct_9fa48("61") ? "" : (stryCov_9fa48("61"), "memory"))))))) ? DEFAULT_NEAR_CACHE_TTL_MS : 0;
  }
}

/**
 * Builds the near cache. Its entries live `ttlMs` at most; every invalidation (local write, or one
 * from the channel) drops the client's entries at once.
 */
export function createNearCache(options: NearCacheOptions & {
  ttlMs: number;
  now?: () => number;
}): NearCache {
  if (stryMutAct_9fa48("62")) {
    {}
  } else {
    stryCov_9fa48("62");
    const ttlMs = options.ttlMs;
    const maxEntries = stryMutAct_9fa48("63") ? options.maxEntries && DEFAULT_NEAR_CACHE_MAX_ENTRIES : (stryCov_9fa48("63"), options.maxEntries ?? DEFAULT_NEAR_CACHE_MAX_ENTRIES);
    const now = stryMutAct_9fa48("64") ? options.now && Date.now : (stryCov_9fa48("64"), options.now ?? Date.now);
    const enabled = stryMutAct_9fa48("67") ? ttlMs > 0 || maxEntries > 0 : stryMutAct_9fa48("66") ? false : stryMutAct_9fa48("65") ? true : (stryCov_9fa48("65", "66", "67"), (stryMutAct_9fa48("70") ? ttlMs <= 0 : stryMutAct_9fa48("69") ? ttlMs >= 0 : stryMutAct_9fa48("68") ? true : (stryCov_9fa48("68", "69", "70"), ttlMs > 0)) && (stryMutAct_9fa48("73") ? maxEntries <= 0 : stryMutAct_9fa48("72") ? maxEntries >= 0 : stryMutAct_9fa48("71") ? true : (stryCov_9fa48("71", "72", "73"), maxEntries > 0)));
    // The oldest verdict goes first when it is full.
    const entries = new BoundedMap<string, Entry>(stryMutAct_9fa48("74") ? Math.min(1, Math.floor(maxEntries) || 1) : (stryCov_9fa48("74"), Math.max(1, stryMutAct_9fa48("77") ? Math.floor(maxEntries) && 1 : stryMutAct_9fa48("76") ? false : stryMutAct_9fa48("75") ? true : (stryCov_9fa48("75", "76", "77"), Math.floor(maxEntries) || 1))));
    // Bumped by every invalidation of a client: a verdict read before one is never served, and a store
    // read that began before one is not cached. An invalidation so costs the same however many verdicts
    // the client has (they are not looked for: stale ones wait for the bound to push them out).
    const generations = new Map<string, number>();
    let epoch = 0;
    const listeners: ((clientId: string | null) => void)[] = stryMutAct_9fa48("78") ? ["Stryker was here"] : (stryCov_9fa48("78"), []);
    const stats: NearCacheStats = stryMutAct_9fa48("79") ? {} : (stryCov_9fa48("79"), {
      hits: 0,
      misses: 0,
      invalidations: 0
    });
    let unsubscribe: (() => Promise<void>) | null = null;
    let closed = stryMutAct_9fa48("80") ? true : (stryCov_9fa48("80"), false);
    // With a channel, verdicts are cached only while it is subscribed: a writer waits for the
    // confirmation of the processes subscribed when it published, so one that is not must hold nothing.
    let listening = stryMutAct_9fa48("83") ? options.channel !== undefined : stryMutAct_9fa48("82") ? false : stryMutAct_9fa48("81") ? true : (stryCov_9fa48("81", "82", "83"), options.channel === undefined);

    // Stryker disable next-line ArithmeticOperator: only equality is compared, and each variant keeps (epoch, generation) pairs apart
    const generationOf = stryMutAct_9fa48("84") ? () => undefined : (stryCov_9fa48("84"), (() => {
      const generationOf = (clientId: string) => epoch * 2 ** 26 + (stryMutAct_9fa48("87") ? generations.get(clientId) && 0 : (stryCov_9fa48("87"), generations.get(clientId) ?? 0));
      return generationOf;
    })());
    const cache: NearCache = stryMutAct_9fa48("88") ? {} : (stryCov_9fa48("88"), {
      enabled,
      ttlMs: enabled ? ttlMs : 0,
      channel: options.channel,
      stats,
      get(key) {
        if (stryMutAct_9fa48("89")) {
          {}
        } else {
          stryCov_9fa48("89");
          if (stryMutAct_9fa48("92") ? false : stryMutAct_9fa48("91") ? true : stryMutAct_9fa48("90") ? enabled : (stryCov_9fa48("90", "91", "92"), !enabled)) return undefined;
          const entry = entries.get(key);
          if (stryMutAct_9fa48("95") ? (!entry || entry.expiresAt <= now()) && entry.generation !== generationOf(entry.clientId) : stryMutAct_9fa48("94") ? false : stryMutAct_9fa48("93") ? true : (stryCov_9fa48("93", "94", "95"), (stryMutAct_9fa48("97") ? !entry && entry.expiresAt <= now() : stryMutAct_9fa48("96") ? false : (stryCov_9fa48("96", "97"), (stryMutAct_9fa48("98") ? entry : (stryCov_9fa48("98"), !entry)) || (stryMutAct_9fa48("101") ? entry.expiresAt > now() : stryMutAct_9fa48("100") ? entry.expiresAt < now() : stryMutAct_9fa48("99") ? false : (stryCov_9fa48("99", "100", "101"), entry.expiresAt <= now())))) || (stryMutAct_9fa48("103") ? entry.generation === generationOf(entry.clientId) : stryMutAct_9fa48("102") ? false : (stryCov_9fa48("102", "103"), entry.generation !== generationOf(entry.clientId))))) {
            if (stryMutAct_9fa48("104")) {
              {}
            } else {
              stryCov_9fa48("104");
              // Stryker disable next-line ConditionalExpression: memory upkeep only; an expired or stale entry is never served and the bounded map drops it
              if (entry) entries.delete(key);
              stryMutAct_9fa48("107") ? stats.misses-- : (stryCov_9fa48("107"), stats.misses++);
              return undefined;
            }
          }
          stryMutAct_9fa48("108") ? stats.hits-- : (stryCov_9fa48("108"), stats.hits++);
          return entry.found;
        }
      },
      generation(clientId) {
        if (stryMutAct_9fa48("109")) {
          {}
        } else {
          stryCov_9fa48("109");
          return stryMutAct_9fa48("110") ? {} : (stryCov_9fa48("110"), {
            generation: generationOf(clientId),
            at: now()
          });
        }
      },
      set(key, clientId, found, readAt) {
        if (stryMutAct_9fa48("111")) {
          {}
        } else {
          stryCov_9fa48("111");
          if (stryMutAct_9fa48("114") ? (!enabled || !listening) && found?.record.singleUse : stryMutAct_9fa48("113") ? false : stryMutAct_9fa48("112") ? true : (stryCov_9fa48("112", "113", "114"), (stryMutAct_9fa48("116") ? !enabled && !listening : stryMutAct_9fa48("115") ? false : (stryCov_9fa48("115", "116"), (stryMutAct_9fa48("117") ? enabled : (stryCov_9fa48("117"), !enabled)) || (stryMutAct_9fa48("118") ? listening : (stryCov_9fa48("118"), !listening)))) || (stryMutAct_9fa48("119") ? found.record.singleUse : (stryCov_9fa48("119"), found?.record.singleUse)))) return;
          if (stryMutAct_9fa48("122") ? generationOf(clientId) === readAt.generation : stryMutAct_9fa48("121") ? false : stryMutAct_9fa48("120") ? true : (stryCov_9fa48("120", "121", "122"), generationOf(clientId) !== readAt.generation)) return;
          const kept = stryMutAct_9fa48("123") ? found.record : (stryCov_9fa48("123"), found?.record);
          const record = kept ? stryMutAct_9fa48("124") ? {} : (stryCov_9fa48("124"), {
            ...kept,
            secret: (stryMutAct_9fa48("127") ? kept.authType !== "jwtVerify" : stryMutAct_9fa48("126") ? false : stryMutAct_9fa48("125") ? true : (stryCov_9fa48("125", "126", "127"), kept.authType === (stryMutAct_9fa48("128") ? "" : (stryCov_9fa48("128"), "jwtVerify")))) ? kept.secret : stryMutAct_9fa48("129") ? "Stryker was here!" : (stryCov_9fa48("129"), ""),
            tokenState: null
          }) : null;
          entries.set(key, stryMutAct_9fa48("130") ? {} : (stryCov_9fa48("130"), {
            clientId,
            // Stryker disable next-line LogicalOperator: `record` is null exactly when `found` is
            found: (stryMutAct_9fa48("132") ? false : stryMutAct_9fa48("131") ? true : (stryCov_9fa48("131", "132"), found && record)) ? stryMutAct_9fa48("134") ? {} : (stryCov_9fa48("134"), {
              record,
              store: found.store
            }) : null,
            expiresAt: stryMutAct_9fa48("135") ? Math.max(readAt.at + ttlMs, found?.record.expiresAt ?? Number.POSITIVE_INFINITY) : (stryCov_9fa48("135"), Math.min(stryMutAct_9fa48("136") ? readAt.at - ttlMs : (stryCov_9fa48("136"), readAt.at + ttlMs), stryMutAct_9fa48("137") ? found?.record.expiresAt && Number.POSITIVE_INFINITY : (stryCov_9fa48("137"), (stryMutAct_9fa48("138") ? found.record.expiresAt : (stryCov_9fa48("138"), found?.record.expiresAt)) ?? Number.POSITIVE_INFINITY))),
            generation: readAt.generation
          }));
        }
      },
      invalidate({
        clientId
      }) {
        if (stryMutAct_9fa48("139")) {
          {}
        } else {
          stryCov_9fa48("139");
          // Stryker disable next-line ArithmeticOperator: only equality of generations is compared; any step changes it
          generations.set(clientId, (stryMutAct_9fa48("141") ? generations.get(clientId) && 0 : (stryCov_9fa48("141"), generations.get(clientId) ?? 0)) + 1);
          if (stryMutAct_9fa48("145") ? generations.size <= maxEntries * 4 : stryMutAct_9fa48("144") ? generations.size >= maxEntries * 4 : stryMutAct_9fa48("143") ? false : stryMutAct_9fa48("142") ? true : (stryCov_9fa48("142", "143", "144", "145"), generations.size > (stryMutAct_9fa48("146") ? maxEntries / 4 : (stryCov_9fa48("146"), maxEntries * 4)))) {
            if (stryMutAct_9fa48("147")) {
              {}
            } else {
              stryCov_9fa48("147");
              // Bounded memory: a new epoch makes every verdict and every read in flight stale, like a clear.
              generations.clear();
              // Stryker disable next-line UpdateOperator: only equality is compared; any step changes the epoch
              epoch++;
            }
          }
          stryMutAct_9fa48("149") ? stats.invalidations-- : (stryCov_9fa48("149"), stats.invalidations++);
          for (const listener of listeners) listener(clientId);
        }
      },
      clear() {
        if (stryMutAct_9fa48("150")) {
          {}
        } else {
          stryCov_9fa48("150");
          entries.clear();
          generations.clear();
          // Stryker disable next-line UpdateOperator: only equality is compared; any step changes the epoch
          epoch++;
          for (const listener of listeners) listener(null);
        }
      },
      onInvalidate(listener) {
        if (stryMutAct_9fa48("152")) {
          {}
        } else {
          stryCov_9fa48("152");
          listeners.push(listener);
        }
      },
      async close() {
        if (stryMutAct_9fa48("153")) {
          {}
        } else {
          stryCov_9fa48("153");
          // A subscription still on its way is stopped when it lands (below): closing never waits on it.
          closed = stryMutAct_9fa48("154") ? false : (stryCov_9fa48("154"), true);
          const stop = unsubscribe;
          unsubscribe = null;
          await (stryMutAct_9fa48("155") ? stop() : (stryCov_9fa48("155"), stop?.()));
        }
      }
    });
    if (stryMutAct_9fa48("158") ? enabled || options.channel : stryMutAct_9fa48("157") ? false : stryMutAct_9fa48("156") ? true : (stryCov_9fa48("156", "157", "158"), enabled && options.channel)) {
      if (stryMutAct_9fa48("159")) {
        {}
      } else {
        stryCov_9fa48("159");
        // Subscribing is asynchronous: until it answers, nothing is cached (`listening` is false).
        const listen = (connected: boolean) => {
          if (stryMutAct_9fa48("160")) {
            {}
          } else {
            stryCov_9fa48("160");
            // The clear also discards reads in flight: one that began before the subscription may be stale.
            listening = connected;
            cache.clear();
          }
        };
        void options.channel.subscribe(stryMutAct_9fa48("161") ? {} : (stryCov_9fa48("161"), {
          invalidate: stryMutAct_9fa48("162") ? () => undefined : (stryCov_9fa48("162"), event => cache.invalidate(event)),
          reset: listen
        })).then(stop => {
          if (stryMutAct_9fa48("163")) {
            {}
          } else {
            stryCov_9fa48("163");
            if (stryMutAct_9fa48("165") ? false : stryMutAct_9fa48("164") ? true : (stryCov_9fa48("164", "165"), closed)) return stop().catch(() => undefined);
            unsubscribe = stop;
            listen(stryMutAct_9fa48("166") ? false : (stryCov_9fa48("166"), true));
          }
        }, () => undefined);
      }
    }
    return cache;
  }
}