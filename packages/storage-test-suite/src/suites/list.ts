import type { StoredCredential } from "@credkit/core";
import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { makeRecord, randomClientId, randomCredentialId } from "../fixtures.js";
import { idsOf, sortedIds, walkList } from "../walk.js";

/** list: order, pagination, temporary filtering and per-client isolation. */
export function listTests(ctx: SuiteContext): void {
  describe("list", () => {
    const store = ctx.useStore();

    async function createAll(records: StoredCredential[]): Promise<void> {
      await Promise.all(records.map((record) => store().create(record)));
    }

    it("returns an empty walk for a client without records", async () => {
      await store().create(makeRecord());
      const walk = await walkList(store(), randomClientId(), { limit: 10, includeTemporary: true });
      expect(walk.items).toStrictEqual([]);
    });

    it("returns records unchanged in ascending credentialId order", async () => {
      const clientId = randomClientId();
      const records = Array.from({ length: 6 }, () => makeRecord({ clientId }));
      await createAll(records);
      const walk = await walkList(store(), clientId, { limit: 100 });
      expect(idsOf(walk.items)).toStrictEqual(sortedIds(idsOf(records)));
      for (const item of walk.items) {
        expect(item).toStrictEqual(records.find((record) => record.credentialId === item.credentialId));
      }
    });

    it("starts a first page before every id, whatever character the ids begin with", async () => {
      // Ids are opaque to a store: a first page starts before anything, not after some letter.
      const clientId = randomClientId();
      const records = ["-", "0", "A", "Z", "_", "a", "~"].map((first) =>
        makeRecord({ clientId, credentialId: `${first}${randomCredentialId()}` }),
      );
      await createAll(records);
      const walk = await walkList(store(), clientId, { limit: 3 });
      expect(idsOf(walk.items)).toStrictEqual(sortedIds(idsOf(records)));
    });

    it("pages with limit: every record exactly once, in order, no page over limit", async () => {
      const clientId = randomClientId();
      const records = Array.from({ length: 25 }, () => makeRecord({ clientId }));
      await createAll(records);
      const walk = await walkList(store(), clientId, { limit: 7 });
      expect(walk.pages.length).toBeGreaterThanOrEqual(4);
      expect(idsOf(walk.items)).toStrictEqual(sortedIds(idsOf(records)));
    });

    it("pages with limit 1", async () => {
      const clientId = randomClientId();
      const records = Array.from({ length: 3 }, () => makeRecord({ clientId }));
      await createAll(records);
      const walk = await walkList(store(), clientId, { limit: 1 });
      expect(idsOf(walk.items)).toStrictEqual(sortedIds(idsOf(records)));
    });

    it("walks every record that existed throughout exactly once, despite writes between pages", async () => {
      const clientId = randomClientId();
      const records = Array.from({ length: 12 }, () => makeRecord({ clientId }));
      await createAll(records);
      const seen: string[] = [];
      const deleted = new Set<string>();
      let cursor: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await store().list(clientId, { limit: 3, cursor });
        seen.push(...idsOf(page.items));
        if (page.cursor === null) break;
        cursor = page.cursor;
        // Delete the record the cursor points after, and add a newcomer, before reading on.
        const anchor = page.items.at(-1);
        if (anchor) {
          await store().delete(clientId, anchor.credentialId);
          deleted.add(anchor.credentialId);
        }
        await store().create(makeRecord({ clientId }));
      }
      const survivors = idsOf(records).filter((id) => !deleted.has(id));
      for (const id of survivors) expect(seen.filter((s) => s === id)).toHaveLength(1);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toStrictEqual(sortedIds(seen));
    });

    it("hides live temporary records unless includeTemporary is true", async () => {
      const clientId = randomClientId();
      const permanent = Array.from({ length: 3 }, () => makeRecord({ clientId }));
      const temporary = Array.from({ length: 3 }, () =>
        makeRecord({ clientId, temporary: true, expiresAt: Date.now() + 3_600_000 }),
      );
      await createAll([...permanent, ...temporary]);
      const permanentIds = sortedIds(idsOf(permanent));
      expect(idsOf((await walkList(store(), clientId, { limit: 2 })).items)).toStrictEqual(permanentIds);
      const withoutTemporary = await walkList(store(), clientId, { limit: 2, includeTemporary: false });
      expect(idsOf(withoutTemporary.items)).toStrictEqual(permanentIds);
      const withTemporary = await walkList(store(), clientId, { limit: 2, includeTemporary: true });
      expect(idsOf(withTemporary.items)).toStrictEqual(sortedIds(idsOf([...permanent, ...temporary])));
    });

    it("never shows another client's records", async () => {
      const mine = Array.from({ length: 4 }, () => makeRecord({ clientId: randomClientId() }));
      const clientId = randomClientId();
      const theirs = Array.from({ length: 4 }, () => makeRecord({ clientId }));
      const neighbour = randomClientId();
      const neighbours = Array.from({ length: 4 }, () => makeRecord({ clientId: neighbour }));
      await createAll([...mine, ...theirs, ...neighbours]);
      const walk = await walkList(store(), clientId, { limit: 3, includeTemporary: true });
      expect(idsOf(walk.items)).toStrictEqual(sortedIds(idsOf(theirs)));
      const other = await walkList(store(), neighbour, { limit: 3, includeTemporary: true });
      expect(idsOf(other.items)).toStrictEqual(sortedIds(idsOf(neighbours)));
    });

    it("does not show deleted records", async () => {
      const clientId = randomClientId();
      const records = Array.from({ length: 4 }, () => makeRecord({ clientId }));
      await createAll(records);
      const [gone, ...kept] = records;
      await store().delete(clientId, gone?.credentialId ?? "");
      const walk = await walkList(store(), clientId, { limit: 2 });
      expect(idsOf(walk.items)).toStrictEqual(sortedIds(idsOf(kept)));
    });
  });
}
