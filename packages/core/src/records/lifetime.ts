import { CredkitError } from "../errors.js";
import type { StoredCredential } from "../record.js";

/**
 * Credential lifetimes, defined once. A credential with a lifetime (`expiresAt` in the API,
 * `lifetimeEndsAt` at rest) is refused for every use from that instant, by core (never by a store), so
 * the rule holds on every store and in the near cache alike. Its store keeps it for a grace after
 * that (listable with `includeExpired`, renewable by an update) and then deletes it by its own expiry
 * (`expiresAt` at rest: a Redis key expiry, a DynamoDB TTL, the memory store's sweep on access).
 */

/** How long an expired credential is kept before its store deletes it, by default: 30 days. */
export const DEFAULT_EXPIRED_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The one lifetime rule: a credential whose `lifetimeEndsAt` is at or before `now` is expired, refused
 * for every use (the store rule's `isExpired` boundary, on the other field).
 */
export function isLifetimeOver(record: Pick<StoredCredential, "lifetimeEndsAt">, now: number): boolean {
  const end = record.lifetimeEndsAt ?? null;
  return end !== null && end <= now;
}

/** The CREDENTIAL_EXPIRED a use of an expired credential gets: it names the instant, never a secret. */
export function credentialExpired(record: Pick<StoredCredential, "credentialId" | "lifetimeEndsAt">) {
  const at = new Date(record.lifetimeEndsAt ?? 0).toISOString();
  return new CredkitError(
    "CREDENTIAL_EXPIRED",
    `Credential "${record.credentialId}" expired at ${at}; update its expiresAt to use it again`,
  );
}

/**
 * When the store may delete a record that is not pending: its lifetime's end plus `retentionMs`, or
 * null (kept forever) without a lifetime.
 */
export function retainedUntil(lifetimeEndsAt: number | null | undefined, retentionMs: number): number | null {
  return lifetimeEndsAt === null || lifetimeEndsAt === undefined ? null : lifetimeEndsAt + retentionMs;
}

/** The instant a record is refused from: its lifetime's end or a pending record's deadline, the earlier. */
export function refusedFrom(record: Pick<StoredCredential, "expiresAt" | "lifetimeEndsAt">): number | null {
  const end = record.lifetimeEndsAt ?? null;
  if (end === null || record.expiresAt === null) return end ?? record.expiresAt;
  return Math.min(end, record.expiresAt);
}
