import { defaultKeyPrefix } from "@credkit/storage-redis";
import type { StorageConfig } from "./config-schema.js";

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
 * Where a store is, for humans: kind, address, table or key prefix, never credentials. A Redis URL is
 * reduced to its host, port and database (it may carry a password); a DynamoDB endpoint to its origin.
 * The one description of a store, for the start lines, the start check, check-config and rotate.
 */
export function describeStorage(storage: StorageConfig): string {
  switch (storage.storage) {
    case "memory":
      return "memory (in this process; lost when it stops)";
    case "redis": {
      const prefix = `prefix "${storage.keyPrefix ?? defaultKeyPrefix}"`;
      if (storage.sentinels)
        return `redis sentinel ${storage.sentinelName} via ${storage.sentinels.join(",")} ${prefix}`;
      if (storage.clusterNodes) return `redis cluster ${storage.clusterNodes.join(",")} ${prefix}`;
      return `redis ${redisAddress(storage.url ?? "")} ${prefix}`;
    }
    case "dynamodb": {
      const region = storage.region ? `AWS region ${storage.region}` : "the AWS region of the AWS profile";
      const endpoint = storage.endpoint ? endpointOrigin(storage.endpoint) : "the AWS endpoint";
      return `dynamodb table "${storage.table}" in ${region} at ${endpoint}`;
    }
  }
}

/**
 * The one line a store gets at start and in `check-config`: where it is and which regions it serves,
 * saying so when several regions share it (their credentials then live side by side in one store).
 */
export function storeLine(group: StoreGroup): string {
  const { storage, regions } = group;
  const served =
    regions.length === 1
      ? `serves region ${regions[0]}`
      : `serves ${regions.length > 8 ? regionList(regions) : `${regions.length} regions: ${regionList(regions)}`}, which share this one store`;
  const note = storage.storage === "memory" ? "; for development: every process has its own" : "";
  return `${describeStorage(storage)}: ${served}${note}`;
}

/**
 * A Redis URL reduced to scheme, host, port and database: the user part and the query (either may carry
 * a password) are dropped. The one redaction of Redis addresses.
 */
export function redisAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.length > 1 ? parsed.pathname : ""}`;
  } catch {
    return "(unparsable URL)";
  }
}

/** An endpoint reduced to scheme, host and port (a user part could carry a secret). */
function endpointOrigin(endpoint: string): string {
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
