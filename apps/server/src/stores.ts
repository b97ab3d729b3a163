import type { CredentialStore, RegionMap } from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import type { StorageConfig } from "./config-schema.js";

/** The stores of a configuration, and how to close what was opened for them. */
export interface OpenedStores {
  regions: RegionMap;
  close(): Promise<void>;
}

/**
 * Builds one store per distinct storage description, so regions that share a backend share a store
 * (and list asks it once).
 */
export async function openStores(regions: Record<string, StorageConfig>): Promise<OpenedStores> {
  const byDescription = new Map<string, CredentialStore>();
  const closers: (() => Promise<void>)[] = [];
  const map: Record<string, CredentialStore> = {};
  for (const [region, storage] of Object.entries(regions)) {
    const description = JSON.stringify(storage);
    let store = byDescription.get(description);
    if (!store) {
      store = openStore(storage);
      byDescription.set(description, store);
      const opened = store;
      closers.push(() => opened.close());
    }
    map[region] = store;
  }
  return {
    regions: map,
    async close() {
      await Promise.allSettled(closers.map((close) => close()));
    },
  };
}

function openStore(storage: StorageConfig): CredentialStore {
  switch (storage.storage) {
    case "memory":
      return memoryStore();
    default:
      throw new Error(`storage "${storage.storage}" is not wired yet`);
  }
}
