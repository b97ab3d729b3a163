import type { RegionMap } from "../regions.js";
import type { CredentialStore } from "../storage.js";
import {
  createNearCache,
  defaultNearCacheTtlMs,
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
  const { channel } = cache;
  if (!cache.enabled && !channel) return { regions, cache };
  const wrapped = new Map<CredentialStore, CredentialStore>(
    stores.map((store) => [
      store,
      withInvalidation(store, (event) => {
        cache.invalidate(event);
        return channel?.publish(event);
      }),
    ]),
  );
  return {
    regions: Object.fromEntries(
      Object.entries(regions).map(([region, store]) => [region, wrapped.get(store) as CredentialStore]),
    ),
    cache,
  };
}
