import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { makeRecord, randomClientId, randomLookupHash } from "../fixtures.js";

/** findByLookup: (clientId, hash) finds one live record, only within that client. */
export function lookupTests(ctx: SuiteContext): void {
  describe("findByLookup", () => {
    const store = ctx.useStore();

    it("finds a record by its client and lookup hash", async () => {
      const record = makeRecord();
      const sibling = makeRecord({ clientId: record.clientId });
      await store().create(record);
      await store().create(sibling);
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toStrictEqual(record);
      expect(await store().findByLookup(sibling.clientId, sibling.lookupHash ?? "")).toStrictEqual(sibling);
    });

    it("finds nothing through another client", async () => {
      const record = makeRecord();
      await store().create(record);
      expect(await store().findByLookup(randomClientId(), record.lookupHash ?? "")).toBeNull();
    });

    it("returns null for an unknown hash", async () => {
      const record = makeRecord();
      await store().create(record);
      expect(await store().findByLookup(record.clientId, randomLookupHash())).toBeNull();
      expect(await store().findByLookup(randomClientId(), randomLookupHash())).toBeNull();
    });

    it("finds a live temporary record", async () => {
      const record = makeRecord({ temporary: true, expiresAt: Date.now() + 3_600_000 });
      await store().create(record);
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toStrictEqual(record);
    });
  });
}
