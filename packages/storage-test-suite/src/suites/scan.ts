import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { makeRecord, randomClientId } from "../fixtures.js";
import { idsOf, walkScan } from "../walk.js";

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

    it("walks on past a client whose records were all removed after the cursor was taken", async () => {
      // Six records of one client lie together in every store's scan order, so a page of five ends on
      // one of them; that client is then emptied before the walk resumes from a cursor inside it.
      const gone = randomClientId();
      const goneRecords = Array.from({ length: 6 }, () => makeRecord({ clientId: gone }));
      const others = Array.from({ length: 3 }, () => makeRecord());
      for (const record of [...goneRecords, ...others]) await store().create(record);
      const seen = new Set<string>();
      let emptied = false;
      let cursor: string | undefined;
      for (let pages = 0; pages < 10_000; pages++) {
        const page = await store().scan({ limit: 5, cursor });
        for (const item of page.items) seen.add(item.credentialId);
        if (page.cursor === null) break;
        cursor = page.cursor;
        if (!emptied && page.items.at(-1)?.clientId === gone) {
          for (const record of goneRecords) await store().delete(gone, record.credentialId);
          emptied = true;
        }
      }
      expect(emptied).toBe(true);
      for (const record of others) expect(seen.has(record.credentialId)).toBe(true);
    });

    it("starts a first page before every client, whatever character the client ids begin with", async () => {
      // Client ids are opaque to a store: a walk starts before anything, not after some letter.
      const records = ["-", "0", "A", "Z", "_"].map((first) =>
        makeRecord({ clientId: `${first}${randomClientId()}` }),
      );
      await Promise.all(records.map((record) => store().create(record)));
      const ids = new Set(idsOf((await walkScan(store(), 50)).items));
      for (const record of records) expect(ids.has(record.credentialId), record.clientId).toBe(true);
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
