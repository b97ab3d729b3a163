import type { KeyObject } from "node:crypto";
import { errors, type JWK } from "jose";
import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import { type JwsHeader, verificationKey } from "./jwt-signature.js";

/** The JWKS could not be had (unreachable, refused, not a key set): the fail policy decides. */
export class JwksUnavailableError extends Error {
  override readonly name = "JwksUnavailableError";
}

/** Options of {@link createJwksCache}. */
export interface JwksCacheOptions {
  fetch: OutboundFetch;
  /** Milliseconds after a successful fetch before an unknown `kid` may trigger another. */
  cooldownMs: number;
  /** Milliseconds a fetched key set is trusted before it is fetched again. */
  maxAgeMs: number;
  now: () => number;
  /** Characters of JSON all cached key sets may hold together. Default {@link MAX_JWKS_CACHE_CHARS}. */
  maxChars?: number;
}

/** Keys of one set beyond this many are ignored: real key sets hold a handful. */
export const MAX_JWKS_KEYS = 100;
/**
 * Characters of JSON all cached key sets may hold together; the least recently used go first. Tenants choose
 * their jwksUri: without a bound, many credentials with large key sets would grow memory without end.
 */
export const MAX_JWKS_CACHE_CHARS = 8 * 1024 * 1024;

interface KeySet {
  keys: JWK[];
  /** Its keys' JSON length: what it costs the cache's bound. */
  size: number;
  fetchedAt: number;
  /**
   * Imported keys by `index|alg` (the key's place in `keys`, never its `kid`, which a set may spell twice
   * or as a number): importing is the expensive part, so it happens once per key and algorithm.
   */
  imported: Map<string, Promise<KeyObject>>;
}

/** A key resolver for a token's header, backed by the cached JWKS at `uri`. */
export type KeyResolver = (header: JwsHeader & { alg: string }) => Promise<KeyObject>;

/**
 * JWKS cache shared by every jwtVerify credential: one key set per URI, fetched once (concurrent
 * callers share the fetch), refreshed after `maxAgeMs`, and refetched for an unknown `kid` at most once
 * per `cooldownMs`. Keys are imported once and reused, which keeps a cached verification close to a
 * bare `jwtVerify` with the key in hand.
 */
export function createJwksCache(options: JwksCacheOptions) {
  const sets = new Map<string, KeySet>();
  const inflight = new Map<string, Promise<KeySet>>();
  const resolvers = new Map<string, KeyResolver>();
  // When each URI's last refresh was attempted: a failing endpoint is asked at most once per cooldown.
  const attempts = new Map<string, number>();
  const maxChars = options.maxChars ?? MAX_JWKS_CACHE_CHARS;

  async function download(uri: string): Promise<KeySet> {
    let body: unknown;
    try {
      const response = await options.fetch(uri, {
        headers: { accept: "application/jwk-set+json, application/json" },
      });
      if (response.status !== 200) throw new JwksUnavailableError(`JWKS answered ${response.status}`);
      body = await response.json();
    } catch (error) {
      throw error instanceof JwksUnavailableError
        ? error
        : new JwksUnavailableError("JWKS fetch failed", { cause: error });
    }
    // Any JSON may come back (`null` included): only an object with a `keys` array is a key set.
    const keys = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new JwksUnavailableError("The JWKS response is not a key set");
    const kept = keys.filter((k): k is JWK => typeof k === "object" && k !== null).slice(0, MAX_JWKS_KEYS);
    const set: KeySet = {
      keys: kept,
      size: JSON.stringify(kept).length,
      fetchedAt: options.now(),
      imported: new Map(),
    };
    remember(uri, set);
    return set;
  }

  let cachedChars = 0;
  /** Caches `set` as the newest, dropping the least recently used sets while over `maxChars`. */
  function remember(uri: string, set: KeySet): void {
    const old = sets.get(uri);
    if (old) {
      sets.delete(uri);
      cachedChars -= old.size;
    }
    sets.set(uri, set);
    cachedChars += set.size;
    for (const [oldest, dropped] of sets) {
      if (cachedChars <= maxChars || oldest === uri) break;
      sets.delete(oldest);
      cachedChars -= dropped.size;
      resolvers.delete(oldest);
      attempts.delete(oldest);
    }
  }

  /** The key set, fetching it once however many callers ask at the same moment. */
  function load(uri: string): Promise<KeySet> {
    let pending = inflight.get(uri);
    if (!pending) {
      pending = download(uri).finally(() => inflight.delete(uri));
      inflight.set(uri, pending);
    }
    return pending;
  }

  /**
   * A fresher key set, or the cached one when the endpoint fails (or failed within the cooldown). Keys
   * once fetched stay usable through an outage: a token is always checked against them, so an outage
   * never turns an unknown `kid` into a fail-open verdict.
   */
  async function refresh(uri: string, cached: KeySet): Promise<KeySet> {
    // Never attempted: as if long ago.
    const last = attempts.get(uri) ?? Number.NEGATIVE_INFINITY;
    if (options.now() - last < options.cooldownMs) return cached;
    attempts.set(uri, options.now());
    try {
      return await load(uri);
    } catch {
      // A download fails only with JwksUnavailableError (it wraps whatever the fetch threw).
      return cached;
    }
  }

  /**
   * The place in `set.keys` of the one key that fits `header` (-1: none, or more than one), by jose's
   * rules: a header's `kid` selects only as a string (RFC 7517 §4.5), `key_ops` counts only as a list.
   */
  function select(set: KeySet, header: JwsHeader): number {
    let chosen = -1;
    for (const [index, k] of set.keys.entries()) {
      const fits =
        (header.kid === undefined || (typeof header.kid === "string" && k.kid === header.kid)) &&
        (k.alg === undefined || k.alg === header.alg) &&
        (k.use === undefined || k.use === "sig") &&
        (k.key_ops === undefined || (Array.isArray(k.key_ops) && k.key_ops.includes("verify")));
      if (!fits) continue;
      if (chosen !== -1) return -1;
      chosen = index;
    }
    return chosen;
  }

  return {
    /** The resolver over the key set at `uri` (one per URI). */
    resolver(uri: string): KeyResolver {
      const existing = resolvers.get(uri);
      if (existing) return existing;
      const resolver: KeyResolver = async (header) => {
        let set = sets.get(uri);
        if (!set)
          set = await load(uri); // no key set at all: only here may the fetch failure surface
        else {
          // In use: the newest again, so the bound drops key sets nobody verifies with first.
          sets.delete(uri);
          sets.set(uri, set);
        }
        if (options.now() - set.fetchedAt > options.maxAgeMs) set = await refresh(uri, set);
        let index = select(set, header);
        // An unknown kid after the cooldown: the issuer may have rotated keys.
        if (index === -1 && options.now() - set.fetchedAt >= options.cooldownMs) {
          set = await refresh(uri, set);
          index = select(set, header);
        }
        if (index === -1) throw new errors.JWKSNoMatchingKey();
        const cacheKey = `${index}|${header.alg}`;
        let key = set.imported.get(cacheKey);
        if (!key) {
          // A key that fails to import is remembered failing: importing is deterministic, and a
          // rotated set arrives with its own imports.
          key = verificationKey(set.keys[index] as JWK, header.alg);
          set.imported.set(cacheKey, key);
        }
        return key;
      };
      resolvers.set(uri, resolver);
      return resolver;
    },
  };
}
