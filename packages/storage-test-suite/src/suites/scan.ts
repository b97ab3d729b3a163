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
