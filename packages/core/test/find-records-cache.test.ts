import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { type CredentialStore, createNearCache } from "../src/index.js";
import { createRecordFinder } from "../src/proxy/find-records.js";
import type { RegionRouter } from "../src/regions.js";

describe("the record finder over a near cache", () => {
  it("asks no store when every presented value's verdict is cached", async () => {
    const store = memoryStore();
    let asked = 0;
    const counted: CredentialStore = Object.assign(Object.create(store), {
      findByLookups(clientId: string, hashes: readonly string[]) {
        asked++;
        return store.findByLookups(clientId, hashes);
      },
    });
    const router = { stores: [{ store: counted, regions: ["r"] }] } as unknown as RegionRouter;
    const find = createRecordFinder({ router, nearCache: createNearCache({ ttlMs: 60_000 }) });
    expect(await find("c1", [["h1"], ["h2"]])).toEqual([null, null]);
    expect(asked).toBe(1);
    // Both misses are cached now: the second lookup is answered without a round trip.
    expect(await find("c1", [["h1"], ["h2"]])).toEqual([null, null]);
    expect(asked).toBe(1);
  });
});
