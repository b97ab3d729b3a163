import { CredkitError } from "../errors.js";
import { positiveInteger } from "../positive-integer.js";
import type { StoredCredential } from "../record.js";

/**
 * The rules every store shares, each defined once. `defineCredentialStore` applies them to every store
 * it builds (the three adapters and any custom one), so no adapter checks them itself; the conformance
 * suite pins them. The cursor rule lives beside its codec, in `store-cursor.ts`.
 */

/** The largest page a `list` or `scan` may ask for. */
export const MAX_PAGE_SIZE = 1000;

/**
 * The one expiry rule: a record whose `expiresAt` is at or before `now` is expired (never returned).
 * Backends whose atomic writes must agree with it (Redis scripts, DynamoDB conditions) restate it in
 * their own language; in JavaScript it is this function.
 */
export function isExpired(record: Pick<StoredCredential, "expiresAt">, now: number): boolean {
  return record.expiresAt !== null && record.expiresAt <= now;
}

/** VALIDATION_ERROR (path `limit`) unless `limit` is an integer from 1 to {@link MAX_PAGE_SIZE}. */
export function assertPageLimit(limit: number): void {
  positiveInteger(limit, "limit", MAX_PAGE_SIZE);
}

/** VALIDATION_ERROR (path `version`) unless `next.version` is `expectedVersion + 1`. */
export function assertVersionStep(next: Pick<StoredCredential, "version">, expectedVersion: number): void {
  if (!Number.isInteger(expectedVersion) || expectedVersion < 1 || next.version !== expectedVersion + 1) {
    throw new CredkitError("VALIDATION_ERROR", "next.version must be expectedVersion + 1", {
      errors: [{ path: "version", message: `must be ${expectedVersion + 1}` }],
    });
  }
}

/** VALIDATION_ERROR (path `ttlMs`) unless a lease's `ttlMs` is a finite number of milliseconds above 0. */
export function assertLeaseTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new CredkitError("VALIDATION_ERROR", "ttlMs must be a positive number of milliseconds", {
      errors: [{ path: "ttlMs", message: "must be a positive number of milliseconds" }],
    });
  }
}
