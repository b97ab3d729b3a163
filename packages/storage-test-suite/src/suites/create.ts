import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { expectCredkitError, fulfilledOrCode } from "../expect-error.js";
import { makeRecord, randomClientId, randomLookupHash } from "../fixtures.js";
import { idsOf, walkList } from "../walk.js";

/** create: round trip, id and lookup-hash conflicts, atomicity under concurrency. */
export function createTests(ctx: SuiteContext): void {
  describe("create", () => {
    const store = ctx.useStore();

    it("stores a record that get returns unchanged", async () => {
      const record = makeRecord({ name: 'Ünïcode ✓ "quoted" name', singleUse: true });
      const before = structuredClone(record);
      await expect(store().create(record)).resolves.toBeUndefined();
      expect(record).toStrictEqual(before);
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(record);
    });

    it("round trips a temporary target record with an expiry and no lookup hash", async () => {
      const record = makeRecord({
        credentialType: "target",
        authType: "oauth2",
        defaultRuleEffect: "deny",
        temporary: true,
        expiresAt: Date.now() + 3_600_000,
        lookupHash: null,
        parentId: randomClientId(),
      });
      await store().create(record);
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(record);
    });

    it("rejects an existing credential id with CONFLICT and changes nothing", async () => {
      const first = makeRecord();
      await store().create(first);
      const duplicate = makeRecord({
        clientId: first.clientId,
        credentialId: first.credentialId,
        name: "dup",
      });
      await expectCredkitError(store().create(duplicate), "CONFLICT");
      expect(await store().get(first.clientId, first.credentialId)).toStrictEqual(first);
      expect(await store().findByLookup(first.clientId, duplicate.lookupHash ?? "")).toBeNull();
      expect(await store().findByLookup(first.clientId, first.lookupHash ?? "")).toStrictEqual(first);
    });

    it("rejects an existing credential id with CONFLICT when neither record has a lookup hash", async () => {
      // Target credentials have no lookup hash: a store may write them by another path than proxy ones.
      const first = makeRecord({ credentialType: "target", lookupHash: null });
      await store().create(first);
      const duplicate = { ...first, name: "dup" };
      await expectCredkitError(store().create(duplicate), "CONFLICT");
      expect(await store().get(first.clientId, first.credentialId)).toStrictEqual(first);
    });

    it("rejects a lookup hash another live record of the client holds with CONFLICT", async () => {
      const first = makeRecord();
      await store().create(first);
      const second = makeRecord({ clientId: first.clientId, lookupHash: first.lookupHash });
      await expectCredkitError(store().create(second), "CONFLICT");
      expect(await store().get(second.clientId, second.credentialId)).toBeNull();
      expect(await store().findByLookup(first.clientId, first.lookupHash ?? "")).toStrictEqual(first);
      const listed = await walkList(store(), first.clientId, { limit: 10, includeTemporary: true });
      expect(idsOf(listed.items)).toStrictEqual([first.credentialId]);
    });

    it("allows the same lookup hash in another client", async () => {
      const lookupHash = randomLookupHash();
      const mine = makeRecord({ lookupHash });
      const theirs = makeRecord({ lookupHash });
      await store().create(mine);
      await store().create(theirs);
      expect(await store().findByLookup(mine.clientId, lookupHash)).toStrictEqual(mine);
      expect(await store().findByLookup(theirs.clientId, lookupHash)).toStrictEqual(theirs);
    });

    it("allows many records without a lookup hash in one client", async () => {
      const clientId = randomClientId();
      const records = [1, 2, 3].map(() =>
        makeRecord({ clientId, credentialType: "target", lookupHash: null }),
      );
      for (const record of records) await store().create(record);
      for (const record of records) {
        expect(await store().get(clientId, record.credentialId)).toStrictEqual(record);
      }
    });

    it("lets exactly one of concurrent creates of one id win", async () => {
      const first = makeRecord();
      const contenders = Array.from({ length: 10 }, (_, i) =>
        makeRecord({ clientId: first.clientId, credentialId: first.credentialId, name: `contender ${i}` }),
      );
      const results = await Promise.allSettled(contenders.map((record) => store().create(record)));
      expect(fulfilledOrCode(results, "CONFLICT")).toHaveLength(1);
      const winner = contenders[results.findIndex((result) => result.status === "fulfilled")];
      expect(await store().get(first.clientId, first.credentialId)).toStrictEqual(winner);
    });

    it("lets exactly one of concurrent creates sharing a lookup hash win", async () => {
      const clientId = randomClientId();
      const lookupHash = randomLookupHash();
      const contenders = Array.from({ length: 10 }, () => makeRecord({ clientId, lookupHash }));
      const results = await Promise.allSettled(contenders.map((record) => store().create(record)));
      expect(fulfilledOrCode(results, "CONFLICT")).toHaveLength(1);
      const winner = contenders[results.findIndex((result) => result.status === "fulfilled")];
      expect(await store().findByLookup(clientId, lookupHash)).toStrictEqual(winner);
      const listed = await walkList(store(), clientId, { limit: 20 });
      expect(idsOf(listed.items)).toStrictEqual([winner?.credentialId]);
    });
  });
}
