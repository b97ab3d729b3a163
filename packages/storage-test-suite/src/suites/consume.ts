import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { makeRecord, randomClientId, randomCredentialId } from "../fixtures.js";

/** consume: atomic get-and-delete for single-use credentials. */
export function consumeTests(ctx: SuiteContext): void {
  describe("consume", () => {
    const store = ctx.useStore();

    it("returns the record and removes it with its lookup entry", async () => {
      const record = makeRecord({ singleUse: true });
      await store().create(record);
      expect(await store().consume(record.clientId, record.credentialId)).toStrictEqual(record);
      expect(await store().get(record.clientId, record.credentialId)).toBeNull();
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toBeNull();
      expect(await store().consume(record.clientId, record.credentialId)).toBeNull();
      expect(await store().delete(record.clientId, record.credentialId)).toBe(false);
    });

    it("frees the lookup hash for another record", async () => {
      const record = makeRecord({ singleUse: true });
      await store().create(record);
      await store().consume(record.clientId, record.credentialId);
      const reuser = makeRecord({ clientId: record.clientId, lookupHash: record.lookupHash });
      await store().create(reuser);
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toStrictEqual(reuser);
    });

    it("returns null for an unknown record", async () => {
      expect(await store().consume(randomClientId(), randomCredentialId())).toBeNull();
    });

    it("returns null through another client and leaves the record", async () => {
      const record = makeRecord({ singleUse: true });
      await store().create(record);
      expect(await store().consume(randomClientId(), record.credentialId)).toBeNull();
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(record);
    });

    it("hands the record to exactly one of 20 concurrent callers", async () => {
      const record = makeRecord({ singleUse: true });
      await store().create(record);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store().consume(record.clientId, record.credentialId)),
      );
      const winners = results.filter((result) => result !== null);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toStrictEqual(record);
      expect(await store().get(record.clientId, record.credentialId)).toBeNull();
    });
  });
}
