import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { makeRecord, randomClientId } from "../fixtures.js";
import { walkScan } from "../walk.js";

/** scan: walks every record of every client, for re-encryption. */
export function scanTests(ctx: SuiteContext): void {
  describe("scan", () => {
    const store = ctx.useStore();

    it("visits every record of every client at least once, unchanged, in pages of at most limit", async () => {
      const records = [randomClientId(), randomClientId(), randomClientId()].flatMap((clientId) => [
        makeRecord({ clientId }),
        makeRecord({ clientId, lookupHash: null, credentialType: "target", authType: "custom" }),
        makeRecord({ clientId, region: "eu-west-1" }),
        // Pending records hold secrets too: re-encryption must reach them.
        makeRecord({ clientId, temporary: true, expiresAt: Date.now() + 3_600_000 }),
      ]);
      // More records than a page holds, so a page boundary falls inside one client.
      const crowded = randomClientId();
      records.push(...Array.from({ length: 12 }, () => makeRecord({ clientId: crowded })));
      await Promise.all(records.map((record) => store().create(record)));
      const walk = await walkScan(store(), 5);
      const seen = new Map(walk.items.map((item) => [`${item.clientId}\n${item.credentialId}`, item]));
      for (const record of records) {
        expect(seen.get(`${record.clientId}\n${record.credentialId}`)).toStrictEqual(record);
      }
    });

    it("resumes exactly where a page ended, whatever the page size", async () => {
      const clientId = randomClientId();
      const records = Array.from({ length: 4 }, () => makeRecord({ clientId }));
      await Promise.all(records.map((record) => store().create(record)));
      // Page sizes of 1 to 3: a cursor taken from the wrong item of a page would end the walk early or
      // skip records (a page of one has no second item).
      for (const limit of [1, 2, 3]) {
        const walk = await walkScan(store(), limit);
        const ids = new Set(walk.items.map((item) => item.credentialId));
        for (const record of records) expect(ids.has(record.credentialId), `limit ${limit}`).toBe(true);
        expect(walk.pages.length).toBeGreaterThanOrEqual(Math.ceil(records.length / limit));
      }
    });

    it("does not return deleted or consumed records", async () => {
      const clientId = randomClientId();
      const [deleted, consumed, kept] = [
        makeRecord({ clientId }),
        makeRecord({ clientId }),
        makeRecord({ clientId }),
      ];
      for (const record of [deleted, consumed, kept]) await store().create(record);
      await store().delete(clientId, deleted.credentialId);
      await store().consume(clientId, consumed.credentialId);
      const ids = (await walkScan(store(), 50)).items.map((item) => item.credentialId);
      expect(ids).not.toContain(deleted.credentialId);
      expect(ids).not.toContain(consumed.credentialId);
      expect(ids).toContain(kept.credentialId);
    });
  });
}
