import { isCredkitError } from "../errors.js";
import type { StoredCredential } from "../record.js";
import type { CredentialStore, WriteEvents } from "../storage.js";
import { duplicateLookup, notFound } from "./not-found.js";

// Rounds of "re-read, apply again" after a write lost to a concurrent one.
const DEFAULT_ATTEMPTS = 8;

/** Options of {@link compareAndSet}. */
export interface CompareAndSetOptions {
  /** Writes tried before a lost race is reported as the store's VERSION_CONFLICT. Default 8. */
  attempts?: number;
  /**
   * After losing a race: may the change be applied again over `latest`? Default yes. No → nothing is
   * written and null returned (a token write whose token another holder replaced).
   */
  retryOver?: (latest: StoredCredential) => boolean;
  /** The events the write of `next` carries (see `WriteEvents`), asked again for each attempt. */
  events?: (next: StoredCredential) => WriteEvents | undefined;
}

/**
 * The one compare-and-set loop every write of an existing record goes through (the service's update,
 * token writes, token invalidation, OAuth completion, re-encryption). `change(current)` returns the next
 * record (its `version` is set here, to `current.version + 1`), or null when there is nothing to write.
 * The write names the version read and its lookup hash (`previousLookupHash`), so a store moves the
 * lookup entry in the same request. When another writer got there first, the record is read again and
 * `change` applied to what it holds now; `change` may throw to stop (an If-Match that no longer holds).
 *
 * Returns the stored record, or null when `change` or `retryOver` declined. NOT_FOUND when the record
 * is (or becomes) absent or expired; CONFLICT (naming the duplicate) when the new lookup hash belongs to
 * another record.
 */
export async function compareAndSet(
  store: CredentialStore,
  base: StoredCredential,
  change: (current: StoredCredential) => StoredCredential | null | Promise<StoredCredential | null>,
  options: CompareAndSetOptions = {},
): Promise<StoredCredential | null> {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  let current = base;
  for (let attempt = 1; ; attempt++) {
    const next = await change(current);
    if (next === null) return null;
    try {
      const versioned = { ...next, version: current.version + 1 };
      const saved = await store.update(
        versioned,
        current.version,
        current.lookupHash,
        options.events?.(versioned),
      );
      if (!saved) throw notFound(base.credentialId);
      return saved;
    } catch (error) {
      if (isCredkitError(error, "CONFLICT") && next.lookupHash !== null) throw duplicateLookup(next, error);
      if (!isCredkitError(error, "VERSION_CONFLICT") || attempt >= attempts) throw error;
    }
    current = await reload(store, current);
    if (options.retryOver && !options.retryOver(current)) return null;
  }
}

/** The record as stored now; NOT_FOUND once it is gone. */
export async function reload(store: CredentialStore, record: StoredCredential): Promise<StoredCredential> {
  const latest = await store.get(record.clientId, record.credentialId);
  if (!latest) throw notFound(record.credentialId);
  return latest;
}
