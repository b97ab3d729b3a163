import { mapStores, type RegionMap } from "../regions.js";
import {
  type AnnouncedWrite,
  createNearCache,
  defaultNearCacheTtlMs,
  type Invalidation,
  type NearCache,
  type NearCacheOptions,
  withInvalidation,
} from "./near-cache.js";

/** True for a built cache (as opposed to its options). */
function isNearCache(value: NearCacheOptions | NearCache): value is NearCache {
  return typeof (value as NearCache).invalidate === "function";
}

/**
 * The service's near cache and its region map with every store announcing its writes: this process's
 * cache drops the client's verdicts at once (read your own writes), and the channel, when there is one,
 * tells the other processes. Stores shared by several regions stay shared (one wrapper each).
 */
export function withNearCache(
  regions: RegionMap,
  option: NearCacheOptions | NearCache | undefined,
  now: () => number,
): { regions: RegionMap; cache: NearCache } {
  const stores = [...new Set(Object.values(regions))];
  const cache =
    option !== undefined && isNearCache(option)
      ? option
      : createNearCache({
          ...option,
          ttlMs: option?.ttlMs ?? defaultNearCacheTtlMs(stores),
          now,
        });
  if (!cache.enabled && !cache.channel) return { regions, cache };
  return {
    regions: mapStores(regions, (store) =>
      withInvalidation(store, (event, write) => announceWrite(cache, event, write, now)),
    ),
    cache,
  };
}

/**
 * True for a write after which a cached verdict could let through what the store now refuses: a
 * delete, or an update of a proxy credential (a new secret, `deny`, a switch to single use). Creates
 * only make a credential pass sooner, consumes remove a single-use record (never cached), and a target
 * credential never passes verification (its type is immutable): those are announced without waiting.
 */
function revokes(write: AnnouncedWrite): boolean {
  return write.method === "delete" || (write.method === "update" && write.record?.credentialType === "proxy");
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
async function announceWrite(
  cache: NearCache,
  event: Invalidation,
  write: AnnouncedWrite,
  now: () => number,
): Promise<void> {
  const started = now();
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
    // A rejected publish still waits: the write happened, and the failure goes on to `onError`.
    if (!confirmed) await waitUntil(started + ttlMs, now);
  }
}

/** Resolves once `now()` has reached `deadline` (at once if it has). */
async function waitUntil(deadline: number, now: () => number): Promise<void> {
  const remaining = deadline - now();
  if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
}
