import type { StoredCredential } from "@credkit/core";
import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { makeRecord, randomClientId, randomLookupHash } from "../fixtures.js";
import { beforeLapse, waitPast } from "../wait.js";

/** The records of the batch fixture: three live ones of one client, one of another, one expired. */
interface BatchFixture {
  clientId: string;
  live: StoredCredential[];
  stranger: StoredCredential;
  expired: StoredCredential;
}

// More hashes than proxy verification ever sends in one call (34 values under 2 keys = 68), and past
// DynamoDB's 100 keys per BatchGetItem: the answer must not depend on how a store splits its batch.
const MANY = 130;

/**
 * findByLookups: one answer per hash, in order, each the live record or null; duplicates answered
 * twice; never another client's record or an expired one; an empty list answers [].
 */
export function lookupBatchTests(ctx: SuiteContext): void {
  describe("findByLookups", () => {
    let f: BatchFixture;
    const store = ctx.useStore(async (created) => {
      const { value, deadline } = await beforeLapse("Setting up the batch fixture", async (expiresAt) => {
        const clientId = randomClientId();
        const fixture: BatchFixture = {
          clientId,
          live: [
            makeRecord({ clientId }),
            makeRecord({ clientId, temporary: true, expiresAt: Date.now() + 3_600_000 }),
            makeRecord({ clientId }),
          ],
          stranger: makeRecord(),
          expired: makeRecord({ clientId, temporary: true, expiresAt }),
        };
        const all = [...fixture.live, fixture.stranger, fixture.expired];
        await Promise.all(all.map((record) => created.create(record)));
        return { fixture, live: await created.findByLookups(clientId, [fixture.expired.lookupHash ?? ""]) };
      });
      f = value.fixture;
      // Without proof that it was found while live, "expired is null" below would pass vacuously.
      expect(value.live).toStrictEqual([f.expired]);
      await waitPast(deadline);
    });
    const hashOf = (record: StoredCredential) => record.lookupHash ?? "";

    it("answers each hash in order: live records, nulls for missing, expired and other clients'", async () => {
      const [a, b, c] = f.live as [StoredCredential, StoredCredential, StoredCredential];
      const missing = randomLookupHash();
      const hashes = [hashOf(c), missing, hashOf(f.expired), hashOf(a), hashOf(f.stranger), hashOf(b)];
      expect(await store().findByLookups(f.clientId, hashes)).toStrictEqual([c, null, null, a, null, b]);
    });

    it("answers a hash given twice twice, as distinct copies", async () => {
      const [a] = f.live as [StoredCredential];
      const found = await store().findByLookups(f.clientId, [hashOf(a), randomLookupHash(), hashOf(a)]);
      expect(found).toStrictEqual([a, null, a]);
      expect(found[0]).not.toBe(found[2]);
    });

    it(`answers ${MANY} hashes, the records wherever they fall`, async () => {
      const hashes = Array.from({ length: MANY }, () => randomLookupHash());
      const at = [0, 99, 100, MANY - 1];
      for (const [i, position] of at.entries())
        hashes[position] = hashOf(f.live[i % f.live.length] as StoredCredential);
      hashes[50] = hashOf(f.expired);
      const expected: (StoredCredential | null)[] = hashes.map(() => null);
      for (const [i, position] of at.entries())
        expected[position] = f.live[i % f.live.length] as StoredCredential;
      expect(await store().findByLookups(f.clientId, hashes)).toStrictEqual(expected);
    });

    it("answers [] for no hashes, and nulls for a client that has none", async () => {
      expect(await store().findByLookups(f.clientId, [])).toStrictEqual([]);
      expect(
        await store().findByLookups(randomClientId(), [hashOf(f.live[0] as StoredCredential)]),
      ).toStrictEqual([null]);
    });
  });
}
