import type { StoredCredential } from "@credkit/core";
import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { expectCredkitError, fulfilledOrCode } from "../expect-error.js";
import { makeRecord, nextVersion, randomClientId, randomLookupHash } from "../fixtures.js";
import { idsOf, walkList } from "../walk.js";

/** update: compare-and-set on version, lookup entries moving with the record, concurrency. */
export function updateTests(ctx: SuiteContext): void {
  describe("update", () => {
    const store = ctx.useStore();

    async function created(overrides: Partial<StoredCredential> = {}): Promise<StoredCredential> {
      const record = makeRecord(overrides);
      await store().create(record);
      return record;
    }

    it("replaces the record when the expected version matches and returns next", async () => {
      const record = await created();
      const next = nextVersion(record, { name: "renamed", secret: `${record.secret}x`, singleUse: true });
      expect(await store().update(next, 1)).toStrictEqual(next);
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(next);
      const third = nextVersion(next, { defaultRuleEffect: "deny" });
      expect(await store().update(third, 2)).toStrictEqual(third);
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(third);
    });

    it("rejects a wrong expected version with VERSION_CONFLICT and changes nothing", async () => {
      const record = await created();
      const next = nextVersion(record, { version: 3, name: "stale", lookupHash: randomLookupHash() });
      await expectCredkitError(store().update(next, 2), "VERSION_CONFLICT");
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(record);
      expect(await store().findByLookup(record.clientId, next.lookupHash ?? "")).toBeNull();
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toStrictEqual(record);
    });

    it("returns null for an unknown record and creates nothing", async () => {
      const record = makeRecord();
      expect(await store().update(nextVersion(record), 1)).toBeNull();
      expect(await store().get(record.clientId, record.credentialId)).toBeNull();
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toBeNull();
    });

    it("returns null for a record of another client", async () => {
      const record = await created();
      const elsewhere = nextVersion({ ...record, clientId: randomClientId() });
      expect(await store().update(elsewhere, 1)).toBeNull();
      expect(await store().get(elsewhere.clientId, record.credentialId)).toBeNull();
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(record);
    });

    it("moves the lookup entry when lookupHash changes", async () => {
      const record = await created();
      const next = nextVersion(record, { lookupHash: randomLookupHash() });
      await store().update(next, 1);
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toBeNull();
      expect(await store().findByLookup(record.clientId, next.lookupHash ?? "")).toStrictEqual(next);
    });

    it("moves the lookup entry the same way when the caller passes the previous hash", async () => {
      const record = await created();
      const next = nextVersion(record, { lookupHash: randomLookupHash() });
      await store().update(next, 1, record.lookupHash);
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toBeNull();
      expect(await store().findByLookup(record.clientId, next.lookupHash ?? "")).toStrictEqual(next);
      // With the hint, a stale version is still refused and a taken hash still conflicts.
      await expectCredkitError(
        store().update(nextVersion(record, { lookupHash: randomLookupHash() }), 1, record.lookupHash),
        "VERSION_CONFLICT",
      );
      const holder = await created({ clientId: record.clientId });
      await expectCredkitError(
        store().update(nextVersion(next, { lookupHash: holder.lookupHash }), 2, next.lookupHash),
        "CONFLICT",
      );
      expect(await store().findByLookup(record.clientId, next.lookupHash ?? "")).toStrictEqual(next);
      const cleared = nextVersion(next, { lookupHash: null });
      await store().update(cleared, 2, next.lookupHash);
      expect(await store().findByLookup(record.clientId, next.lookupHash ?? "")).toBeNull();
    });

    it("frees the old lookup hash for another record", async () => {
      const record = await created();
      await store().update(nextVersion(record, { lookupHash: randomLookupHash() }), 1);
      const reuser = makeRecord({ clientId: record.clientId, lookupHash: record.lookupHash });
      await store().create(reuser);
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toStrictEqual(reuser);
    });

    it("keeps the lookup entry when lookupHash stays the same", async () => {
      const record = await created();
      const next = nextVersion(record, { name: "same hash" });
      await store().update(next, 1);
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toStrictEqual(next);
    });

    it("drops the lookup entry when lookupHash becomes null, and adds one when it is set", async () => {
      const record = await created();
      const cleared = nextVersion(record, { lookupHash: null });
      await store().update(cleared, 1);
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toBeNull();
      const set = nextVersion(cleared, { lookupHash: randomLookupHash() });
      await store().update(set, 2);
      expect(await store().findByLookup(record.clientId, set.lookupHash ?? "")).toStrictEqual(set);
    });

    it("rejects a lookup hash another record holds with CONFLICT and changes nothing", async () => {
      const holder = await created();
      const record = await created({ clientId: holder.clientId });
      const next = nextVersion(record, { lookupHash: holder.lookupHash, name: "thief" });
      await expectCredkitError(store().update(next, 1), "CONFLICT");
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(record);
      expect(await store().findByLookup(holder.clientId, holder.lookupHash ?? "")).toStrictEqual(holder);
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toStrictEqual(record);
    });

    it("accepts a lookup hash that only another client holds", async () => {
      const elsewhere = await created();
      const record = await created();
      const next = nextVersion(record, { lookupHash: elsewhere.lookupHash });
      expect(await store().update(next, 1)).toStrictEqual(next);
      expect(await store().findByLookup(record.clientId, elsewhere.lookupHash ?? "")).toStrictEqual(next);
      expect(await store().findByLookup(elsewhere.clientId, elsewhere.lookupHash ?? "")).toStrictEqual(
        elsewhere,
      );
    });

    it("makes a temporary record permanent", async () => {
      const record = await created({ temporary: true, expiresAt: Date.now() + 3_600_000 });
      const next = nextVersion(record, { temporary: false, expiresAt: null });
      await store().update(next, 1);
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(next);
      const listed = await walkList(store(), record.clientId, { limit: 10 });
      expect(idsOf(listed.items)).toStrictEqual([record.credentialId]);
    });

    it("lets exactly one of concurrent updates from one version win", async () => {
      const record = await created();
      const contenders = Array.from({ length: 10 }, (_, i) =>
        nextVersion(record, { name: `contender ${i}`, lookupHash: randomLookupHash() }),
      );
      const results = await Promise.allSettled(contenders.map((next) => store().update(next, 1)));
      const winners = fulfilledOrCode(results, "VERSION_CONFLICT");
      expect(winners).toHaveLength(1);
      const winner = winners[0];
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(winner);
      // Losers must not have left their lookup entries behind.
      for (const contender of contenders) {
        const found = await store().findByLookup(record.clientId, contender.lookupHash ?? "");
        expect(found).toStrictEqual(contender.lookupHash === winner?.lookupHash ? winner : null);
      }
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toBeNull();
    });
  });
}
