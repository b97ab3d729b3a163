import type { CredentialStore, StoredCredential } from "@credkit/core";
import { storeConformanceSuite } from "@credkit/storage-test-suite";
import { memoryStore } from "../src/index.js";

// Memory has no bytes at rest but its records: a full scan, serialized, is exactly what it holds.
async function readRaw(store: CredentialStore): Promise<string> {
  const items: StoredCredential[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.scan({ limit: 1000, cursor });
    items.push(...page.items);
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  return JSON.stringify(items);
}

const shared = new Map<() => number, CredentialStore>();

storeConformanceSuite("memory", {
  makeStore: () => memoryStore(),
  makeStoreAt: (clock) => memoryStore({ clock }),
  // Processes of one deployment share one memory store only in one process: the same store per clock.
  makeSharedStoreAt: (clock) => {
    const store = shared.get(clock) ?? memoryStore({ clock });
    shared.set(clock, store);
    return store;
  },
  readRaw,
});
