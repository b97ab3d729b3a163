import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import {
  makeEvent,
  makeRecord,
  nextVersion,
  randomClientId,
  randomCredentialId,
  randomLookupHash,
} from "../fixtures.js";

/** delete: removes the record and its lookup entry; true exactly once; the caller's read is only a hint. */
export function deleteTests(ctx: SuiteContext): void {
  describe("delete", () => {
    const store = ctx.useStore();

    it("returns true, then false once the record is gone", async () => {
      const record = makeRecord();
      await store().create(record);
      expect(await store().delete(record.clientId, record.credentialId)).toBe(true);
      expect(await store().get(record.clientId, record.credentialId)).toBeNull();
      expect(await store().delete(record.clientId, record.credentialId)).toBe(false);
    });

    it("removes the lookup entry and frees the hash", async () => {
      const record = makeRecord();
      await store().create(record);
      await store().delete(record.clientId, record.credentialId);
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toBeNull();
      const reuser = makeRecord({ clientId: record.clientId, lookupHash: record.lookupHash });
      await store().create(reuser);
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toStrictEqual(reuser);
    });

    it("returns false for an unknown record", async () => {
      expect(await store().delete(randomClientId(), randomCredentialId())).toBe(false);
    });

    it("does not delete through another client, nor touch sibling records", async () => {
      const record = makeRecord();
      const sibling = makeRecord({ clientId: record.clientId });
      await store().create(record);
      await store().create(sibling);
      expect(await store().delete(randomClientId(), record.credentialId)).toBe(false);
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(record);
      await store().delete(record.clientId, record.credentialId);
      expect(await store().get(sibling.clientId, sibling.credentialId)).toStrictEqual(sibling);
      expect(await store().findByLookup(sibling.clientId, sibling.lookupHash ?? "")).toStrictEqual(sibling);
    });

    it("given the record as the caller read it (with an event), removes it and its lookup entry", async () => {
      const record = makeRecord();
      await store().create(record);
      const deleted = makeEvent("credential.deleted", record);
      expect(await store().delete(record.clientId, record.credentialId, [deleted], record)).toBe(true);
      expect(await store().get(record.clientId, record.credentialId)).toBeNull();
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toBeNull();
      // Read before it was deleted: nothing left, and no event stored for a delete that found nothing.
      const again = makeEvent("credential.deleted", record);
      expect(await store().delete(record.clientId, record.credentialId, [again], record)).toBe(false);
      const pending = await store().pendingEvents(1000);
      expect(pending.map((entry) => entry.event.id)).toContain(deleted.id);
      expect(pending.map((entry) => entry.event.id)).not.toContain(again.id);
    });

    it("given a read that an update (new lookup hash) made stale, removes the current record and its current lookup entry", async () => {
      const record = makeRecord();
      await store().create(record);
      const rekeyed = nextVersion(record, { lookupHash: randomLookupHash() });
      await store().update(rekeyed, 1, record.lookupHash);
      const deleted = makeEvent("credential.deleted", record);
      expect(await store().delete(record.clientId, record.credentialId, [deleted], record)).toBe(true);
      expect(await store().get(record.clientId, record.credentialId)).toBeNull();
      expect(await store().findByLookup(record.clientId, rekeyed.lookupHash ?? "")).toBeNull();
      // The hash is free again: a new record can take it.
      const reuser = makeRecord({ clientId: record.clientId, lookupHash: rekeyed.lookupHash });
      await store().create(reuser);
      expect(await store().findByLookup(record.clientId, rekeyed.lookupHash ?? "")).toStrictEqual(reuser);
    });

    it("returns true to exactly one of concurrent deletes", async () => {
      const record = makeRecord();
      await store().create(record);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store().delete(record.clientId, record.credentialId)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
