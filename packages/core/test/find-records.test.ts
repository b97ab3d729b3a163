import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { createNearCache } from "../src/index.js";
import { createRecordFinder } from "../src/proxy/find-records.js";
import type { RegionRouter } from "../src/regions.js";
import { storedRecord } from "./stored-record.js";

// Each presented value leads to its own record, through the near cache as without it: a verdict is
// cached under its client and value, never served for another.
describe("the record finder", () => {
  it.each([
    ["without a near cache", false],
    ["over a near cache", true],
  ])("finds each value's own record, and the same again from the cache (%s)", async (_name, cached) => {
    const store = memoryStore();
    const a = storedRecord();
    const b = storedRecord({ clientId: a.clientId });
    const other = storedRecord({ lookupHash: a.lookupHash });
    for (const record of [a, b, other]) await store.create(record);
    const router = { stores: [{ store, regions: ["eu-west-1"] }] } as unknown as RegionRouter;
    const find = createRecordFinder({
      router,
      ...(cached ? { nearCache: createNearCache({ ttlMs: 60_000 }) } : {}),
    });
    /** The id of the record each value (given as its one lookup hash) leads to, or null. */
    const ids = async (clientId: string, hashes: (string | null)[]) =>
      (
        await find(
          clientId,
          hashes.map((hash) => [hash as string]),
        )
      ).map((found) => found?.record.credentialId ?? null);
    // The first round asks the store (and fills the cache), the second is answered as the first.
    for (let round = 0; round < 2; round++) {
      expect(await ids(a.clientId, [a.lookupHash])).toEqual([a.credentialId]);
      expect(await ids(a.clientId, [b.lookupHash])).toEqual([b.credentialId]);
      expect(await ids(a.clientId, ["k1.unknown", a.lookupHash])).toEqual([null, a.credentialId]);
      // The same lookup hash in another client's keys is that client's record only.
      expect(await ids(other.clientId, [a.lookupHash])).toEqual([other.credentialId]);
      const [found] = await find(a.clientId, [[b.lookupHash as string]]);
      expect(found?.store).toBe(store);
      expect(found?.record.lookupHash).toBe(b.lookupHash);
    }
  });
});
