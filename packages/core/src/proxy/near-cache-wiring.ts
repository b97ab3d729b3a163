import { addStoreHooks, type CredentialWrite, type StoreHooks } from "../records/store-hooks.js";
import type { RegionMap } from "../regions.js";
import type { CredentialStore } from "../storage.js";
import {
  createNearCache,
  defaultNearCacheTtlMs,
  type NearCache,
  type NearCacheOptions,
} from "./near-cache.js";

/** True for a built cache (as opposed to its options). */
function isNearCache(value: NearCacheOptions | NearCache): value is NearCache {
  return typeof (value as NearCache).invalidate === "function";
}

/**
 * The service's near cache, listening to every write of its stores: this process's cache drops the
 * client's verdicts at once (read your own writes), and the channel, when there is one, tells the
 * other processes. The one place a near cache hears of writes (see {@link announceWritesTo}).
 */
export function withNearCache(
  regions: RegionMap,
  option: NearCacheOptions | NearCache | undefined,
  now: () => number,
): NearCache {
  const stores = [...new Set(Object.values(regions))];
  const cache =
    option !== undefined && isNearCache(option)
      ? option
      : createNearCache({
          ...option,
          ttlMs: option?.ttlMs ?? defaultNearCacheTtlMs(stores),
          now,
        });
  announceWritesTo(cache, stores, now);
  return cache;
}

// One listener per cache, shared by every store it hears: adding it to a store twice adds it once.
const listeners = new WeakMap<NearCache, StoreHooks>();

/**
 * Makes every write of `stores` reach `cache` (and its channel): the store calls the listener after
 * each write and returns once it settled (see {@link announceWrite}). A cache that is off and has no
 * channel hears nothing (nothing to drop, nobody to tell). A job that writes without a service (the key
 * rotation CLI) passes a cache with `ttlMs: 0` and a channel: the servers' caches drop what it changed.
 */
export function announceWritesTo(
  cache: NearCache,
  stores: readonly CredentialStore[],
  now: () => number,
): void {
  if (!cache.enabled && !cache.channel) return;
  let hooks = listeners.get(cache);
  if (!hooks) {
    hooks = { write: (write) => announceWrite(cache, write, now) };
    listeners.set(cache, hooks);
  }
  for (const store of new Set(stores)) addStoreHooks(store, hooks);
}

/**
 * True for a write after which a cached verdict could let through what the store now refuses: a
 * delete, or an update of a proxy credential (a new secret, `deny`, a switch to single use). Creates
 * only make a credential pass sooner, consumes remove a single-use record (never cached), and a target
 * credential never passes verification (its type is immutable): those are announced without waiting.
 */
function revokes(write: CredentialWrite): boolean {
  // Stryker disable next-line OptionalChaining: an update always carries its record (the `?.` is for the type)
  return write.kind === "delete" || (write.kind === "update" && write.record?.credentialType === "proxy");
}

/**
 * The one rule that makes revocation hold by construction rather than by pub/sub speed: a write that
 * {@link revokes} returns only once no process can still serve a verdict read before it. This process
 * drops its own at once. With a channel, every process subscribed when the event was sent confirms it
 * dropped its verdicts (a process that is not subscribed caches nothing); when that is not confirmed
 * within the time bound (a process frozen or cut off, the channel down), the write waits the bound out:
 * every verdict read before the write has expired by then (verdicts live `ttlMs` from the start of
 * their read). Without a channel, only a switch to single use waits the bound out (a single use must be
 * spent once, whatever the store); deletes, denies and new secrets are refused within the bound.
 */
async function announceWrite(cache: NearCache, write: CredentialWrite, now: () => number): Promise<void> {
  const started = now();
  const event = { clientId: write.clientId, credentialId: write.credentialId };
  cache.invalidate(event);
  const { channel, ttlMs } = cache;
  // A write that threw is announced but not waited for: its caller gets an error, not a promise.
  const mustSettle = ttlMs > 0 && write.succeeded && revokes(write);
  if (!channel) {
    if (mustSettle && write.record?.singleUse) await waitUntil(started + ttlMs, now);
    return;
  }
  if (!mustSettle) {
    await channel.publish(event);
    return;
  }
  let confirmed = false;
  try {
    confirmed = (await channel.publish(event, ttlMs)) === true;
  } finally {
    // A rejected publish still waits: the write happened (the store does not fail it for this).
    if (!confirmed) await waitUntil(started + ttlMs, now);
  }
}

/** Resolves once `now()` has reached `deadline` (at once if it has). */
async function waitUntil(deadline: number, now: () => number): Promise<void> {
  const remaining = deadline - now();
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a timer of zero or less fires within a millisecond: only timing changes
  if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
}
