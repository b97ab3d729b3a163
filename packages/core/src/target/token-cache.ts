import type { AccessToken } from "./token-state.js";

/** How token freshness is judged. */
export interface FreshnessOptions {
  /** Milliseconds before expiry at which a token counts as stale and is replaced. */
  skewMs: number;
}

/**
 * True while `access` may still be handed out at `now`: until `skewMs` before it expires, or, for a
 * token whose whole lifetime is shorter than twice the skew, until half its lifetime (otherwise a
 * short-lived token would be stale the moment it arrives and every call would fetch a new one).
 */
export function isFresh(access: AccessToken | undefined, now: number, options: FreshnessOptions): boolean {
  if (access === undefined) return false;
  const skew = Math.min(options.skewMs, (access.expiresAt - access.obtainedAt) / 2);
  return now < access.expiresAt - skew;
}

/** The token's expiry: `expiresInSeconds` after `now`, or `defaultTtlMs` when the issuer gave none. */
export function accessTokenFrom(
  token: string,
  expiresInSeconds: number | undefined,
  now: number,
  defaultTtlMs: number,
): AccessToken {
  const lifetime = expiresInSeconds === undefined ? defaultTtlMs : expiresInSeconds * 1000;
  return { token, obtainedAt: now, expiresAt: now + lifetime };
}

/**
 * In-process single flight: while a call for `key` is running, later callers for the same key share
 * its promise instead of starting their own (20 concurrent resolutions → one token request).
 */
export function createSingleFlight<T>() {
  const running = new Map<string, Promise<T>>();
  return {
    run(key: string, work: () => Promise<T>): Promise<T> {
      let pending = running.get(key);
      if (!pending) {
        pending = work().finally(() => running.delete(key));
        running.set(key, pending);
      }
      return pending;
    },
  };
}

/** Whose field an envelope was opened for. */
export interface EnvelopeOwner {
  clientId: string;
  credentialId: string;
}

/**
 * Decrypted envelopes by envelope string, so the resolve hot path decrypts a secret or token state once
 * per version instead of once per call. An envelope string changes with every write (fresh IV), so a
 * stale entry can never be served for a new value; the oldest entries go first when it is full. Each
 * entry remembers the record and field it was opened for and is only served to those: an envelope
 * copied into another record or field must decrypt under that one's own AAD (and fails).
 */
export function createOpenedCache(maxEntries = 10_000) {
  const opened = new Map<string, { clientId: string; credentialId: string; field: string; value: unknown }>();
  return {
    get<T>(envelope: string, owner: EnvelopeOwner, field: string, open: () => T): T {
      const hit = opened.get(envelope);
      if (hit?.field === field && hit.clientId === owner.clientId && hit.credentialId === owner.credentialId)
        return hit.value as T;
      const value = open();
      if (opened.size >= maxEntries) opened.delete(opened.keys().next().value as string);
      opened.set(envelope, { clientId: owner.clientId, credentialId: owner.credentialId, field, value });
      return value;
    },
  };
}
