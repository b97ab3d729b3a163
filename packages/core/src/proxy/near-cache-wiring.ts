import { mapStores, type RegionMap } from "../regions.js";
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
  return {
    regions: mapStores(regions, (store) =>
      withInvalidation(store, (event) => {
        cache.invalidate(event);
        return channel?.publish(event);
      }),
    ),
    cache,
  };
}
