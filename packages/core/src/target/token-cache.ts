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
