import type { StorageConfig } from "../config-schema.js";
import { redisAddress } from "../store-check.js";

/** Regions that share one storage description, as the server groups them into one store. */
export interface StoreGroup {
  storage: StorageConfig;
  regions: string[];
}

/** Groups regions by identical storage description (the server opens one store per group). */
export function storeGroups(regions: Record<string, StorageConfig>): StoreGroup[] {
  const groups = new Map<string, StoreGroup>();
  for (const region of Object.keys(regions).sort()) {
    const storage = regions[region] as StorageConfig;
    const key = JSON.stringify(storage);
    const group = groups.get(key) ?? { storage, regions: [] };
    group.regions.push(region);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * Where a store is, for humans: backend and address, never credentials. A Redis URL is reduced to its
 * host, port and database (it may carry a password); DynamoDB shows table, region and endpoint host.
 */
export function describeStorage(storage: StorageConfig): string {
  switch (storage.storage) {
    case "memory":
      return "memory";
    case "redis": {
      const prefix = storage.keyPrefix ? ` prefix ${storage.keyPrefix}` : "";
      if (storage.sentinels) {
        return `redis sentinel ${storage.sentinelName} via ${storage.sentinels.join(",")}${prefix}`;
      }
      if (storage.clusterNodes) return `redis cluster ${storage.clusterNodes.join(",")}${prefix}`;
      return `redis ${redisAddress(storage.url ?? "")}${prefix}`;
    }
    case "dynamodb": {
      const where = [storage.region, storage.endpoint ? endpointHost(storage.endpoint) : undefined]
        .filter(Boolean)
        .join(" ");
      return `dynamodb table ${storage.table}${where ? ` (${where})` : ""}`;
    }
  }
}

function endpointHost(endpoint: string): string {
  try {
    const parsed = new URL(endpoint);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "(unparsable endpoint)";
  }
}

/** A region list for one line: in full up to 8, else the count with the first and last. */
export function regionList(regions: readonly string[]): string {
  if (regions.length <= 8) return regions.join(", ");
  return `${regions.length} regions: ${regions.slice(0, 3).join(", ")}, …, ${regions.at(-1)}`;
}
