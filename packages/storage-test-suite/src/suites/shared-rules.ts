import type { CredentialStore, StoredCredential } from "@credkit/core";
import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { expectCredkitError } from "../expect-error.js";
import { makeEvent, makeRecord, nextVersion, randomClientId } from "../fixtures.js";

/**
 * The rules every store shares (applied once by `@credkit/core`'s `defineCredentialStore`, which every
 * store is built through), pinned on the finished store so a store that bends one fails here: a page size
 * out of range is refused (never clamped), an unreadable cursor is refused (never a restart), a version
 * step other than one is refused (never stored), and a record handed out is the caller's copy.
 */
export function sharedRuleTests(ctx: SuiteContext): void {
  describe("shared rules", () => {
    const store = ctx.useStore();

    async function clientWith(count: number): Promise<{ clientId: string; records: StoredCredential[] }> {
      const clientId = randomClientId();
      const records = Array.from({ length: count }, () => makeRecord({ clientId }));
      for (const record of records) await store().create(record);
      return { clientId, records };
    }

    it("refuses a page size outside 1..1000 with VALIDATION_ERROR (never clamps it)", async () => {
      const { clientId } = await clientWith(2);
      for (const limit of [0, -1, 1.5, 1001, Number.NaN]) {
        await expectCredkitError(store().list(clientId, { limit }), "VALIDATION_ERROR");
        await expectCredkitError(store().scan({ limit }), "VALIDATION_ERROR");
      }
      expect((await store().list(clientId, { limit: 1000 })).items).toHaveLength(2);
    });

    it("refuses a cursor it did not make with VALIDATION_ERROR (never restarts the walk)", async () => {
      const { clientId } = await clientWith(3);
      const first = await store().list(clientId, { limit: 1 });
      expect(first.cursor).not.toBeNull();
      const real = first.cursor as string;
      const unreadable = [
        "not a cursor",
        "",
        real.slice(0, Math.floor(real.length / 2)),
        Buffer.from('{"unexpected":true}').toString("base64url"),
      ];
      for (const cursor of unreadable) {
        await expectCredkitError(store().list(clientId, { limit: 1, cursor }), "VALIDATION_ERROR");
        await expectCredkitError(store().scan({ limit: 1, cursor }), "VALIDATION_ERROR");
      }
    });

    it("refuses a well-formed cursor whose position it never made (too few or too many parts)", async () => {
      // The cursor format is core's (base64url of [kind, ...position]), so anyone can forge one; the
      // position inside is the store's, and a store must refuse one it could not have returned.
      const { clientId } = await clientWith(3);
      const forge = (cursor: string, position: string[]) => {
        const [kind] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [string];
        return Buffer.from(JSON.stringify([kind, ...position]), "utf8").toString("base64url");
      };
      const listed = (await store().list(clientId, { limit: 1 })).cursor as string;
      const scanned = (await store().scan({ limit: 1 })).cursor as string;
      for (const position of [[], [clientId, "a", "b"], ["a", "b", "c", "d", "e"]]) {
        const cursor = forge(listed, position);
        await expectCredkitError(store().list(clientId, { limit: 1, cursor }), "VALIDATION_ERROR");
        await expectCredkitError(
          store().scan({ limit: 1, cursor: forge(scanned, position) }),
          "VALIDATION_ERROR",
        );
      }
    });

    it("refuses a version step other than one with VALIDATION_ERROR and stores nothing", async () => {
      const record = makeRecord();
      await store().create(record);
      for (const version of [1, 3, 0]) {
        const next = nextVersion(record, { version, name: "bad step" });
        await expectCredkitError(store().update(next, 1), "VALIDATION_ERROR");
      }
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(record);
    });

    it("hands out copies: mutating a record given or returned changes nothing stored", async () => {
      const record = makeRecord();
      const kept = { ...record };
      await store().create(record);
      record.name = "mutated after create";
      expect(await store().get(kept.clientId, kept.credentialId)).toStrictEqual(kept);

      const returned: (StoredCredential | null)[] = [
        await store().get(kept.clientId, kept.credentialId),
        await store().findByLookup(kept.clientId, kept.lookupHash as string),
        ...(await store().list(kept.clientId, { limit: 10 })).items,
      ];
      for (const item of returned) (item as StoredCredential).name = "mutated after read";
      expect(await store().get(kept.clientId, kept.credentialId)).toStrictEqual(kept);

      const next = nextVersion(kept, { name: "renamed" });
      const nextKept = { ...next };
      const saved = await store().update(next, 1);
      next.name = "mutated after update";
      (saved as StoredCredential).defaultRuleEffect = "deny";
      expect(await store().get(kept.clientId, kept.credentialId)).toStrictEqual(nextKept);
    });
  });
}

/**
 * The one expiry boundary, at a store clock the suite controls: `expiresAt <= now` is expired for every
 * method, `expiresAt = now + 1` is still live.
 */
export function expiryBoundaryTests(
  makeStoreAt: (clock: () => number) => Promise<CredentialStore> | CredentialStore,
): void {
  describe("expiry boundary (expiresAt <= now is expired)", () => {
    it("treats a record expiring exactly now as gone everywhere (no event stored), and one a millisecond later as live", async () => {
      // In the future, so the backend's own TTL (real time) never removes the records first.
      const boundary = Date.now() + 10 * 60_000;
      let now = boundary - 1000;
      const store = await makeStoreAt(() => now);
      try {
        const clientId = randomClientId();
        const temporary = { temporary: true, clientId };
        const atBoundary = Array.from({ length: 5 }, () => makeRecord({ ...temporary, expiresAt: boundary }));
        const after = makeRecord({ ...temporary, expiresAt: boundary + 1 });
        for (const record of [...atBoundary, after]) await store.create(record);
        now = boundary;
        const [get, lookup, consume, update, del] = atBoundary as [StoredCredential, ...StoredCredential[]];
        expect(await store.get(clientId, get.credentialId)).toBeNull();
        expect(
          await store.findByLookup(clientId, (lookup as StoredCredential).lookupHash as string),
        ).toBeNull();
        // Each carries an event: a write refused as expired stores none (the record is still in the
        // backend, whose TTL is real time, so a script that removes it anyway must not report it).
        const event = (type: Parameters<typeof makeEvent>[0], record: StoredCredential) => [
          makeEvent(type, record),
        ];
        const [consumed, updated, deleted] = [consume, update, del] as [
          StoredCredential,
          StoredCredential,
          StoredCredential,
        ];
        expect(
          await store.consume(clientId, consumed.credentialId, event("credential.consumed", consumed)),
        ).toBeNull();
        const next = nextVersion(updated);
        expect(await store.update(next, 1, updated.lookupHash, event("credential.updated", next))).toBeNull();
        expect(await store.delete(clientId, deleted.credentialId, event("credential.deleted", deleted))).toBe(
          false,
        );
        const listed = await store.list(clientId, { limit: 100, includeTemporary: true });
        expect(listed.items.map((item) => item.credentialId)).toStrictEqual([after.credentialId]);
        expect(await store.get(clientId, after.credentialId)).toStrictEqual(after);
        const pending = await store.pendingEvents(1000);
        expect(pending.filter((entry) => entry.event.data.clientId === clientId)).toStrictEqual([]);
      } finally {
        await store.close();
      }
    });

    it("lets a new record take an expired record's lookup hash, which removing the expired one never frees", async () => {
      // The expired records are still in the backend (its TTL is real time, minutes away): deleting,
      // consuming or re-creating one must drop its lookup entry only while the entry is still its own.
      const boundary = Date.now() + 10 * 60_000;
      let now = boundary - 1000;
      const store = await makeStoreAt(() => now);
      try {
        const clientId = randomClientId();
        const expiring = () => makeRecord({ clientId, temporary: true, expiresAt: boundary });
        const [deleted, consumed, recreated] = [expiring(), expiring(), expiring()];
        for (const record of [deleted, consumed, recreated]) await store.create(record);
        now = boundary;
        const heirs = [deleted, consumed, recreated].map((record) =>
          makeRecord({ clientId, lookupHash: record.lookupHash }),
        );
        for (const heir of heirs) await store.create(heir);
        expect(await store.delete(clientId, deleted.credentialId)).toBe(false);
        expect(await store.consume(clientId, consumed.credentialId)).toBeNull();
        const again = makeRecord({ clientId, credentialId: recreated.credentialId });
        await store.create(again);
        for (const heir of heirs)
          expect(await store.findByLookup(clientId, heir.lookupHash as string)).toStrictEqual(heir);
        expect(await store.findByLookup(clientId, again.lookupHash as string)).toStrictEqual(again);
      } finally {
        await store.close();
      }
    });
  });
}

/**
 * A store whose backend fails: every call rejects with STORAGE_UNAVAILABLE, never answers null, false
 * or an empty page (a credential store that hides an outage hides lost writes).
 */
export function failureTests(makeFailingStore: () => Promise<CredentialStore> | CredentialStore): void {
  describe("backend failures", () => {
    it("surface as STORAGE_UNAVAILABLE from every method, never as null", async () => {
      const store = await makeFailingStore();
      try {
        const record = makeRecord();
        const { clientId, credentialId } = record;
        const calls: [string, () => Promise<unknown>][] = [
          ["create", () => store.create(record)],
          ["get", () => store.get(clientId, credentialId)],
          ["list", () => store.list(clientId, { limit: 10 })],
          ["update", () => store.update(nextVersion(record), 1)],
          ["delete", () => store.delete(clientId, credentialId)],
          ["consume", () => store.consume(clientId, credentialId)],
          ["findByLookup", () => store.findByLookup(clientId, record.lookupHash as string)],
          ["scan", () => store.scan({ limit: 10 })],
          ["acquireLease", () => store.acquireLease("lease", "owner", 1000)],
          ["releaseLease", () => store.releaseLease("lease", "owner")],
          ["ping", () => store.ping()],
        ];
        for (const [method, call] of calls) {
          const outcome = await call().then(
            (value) => ({ resolved: value }),
            (error: { name?: string; code?: string }) => ({ name: error.name, code: error.code }),
          );
          expect([method, outcome]).toStrictEqual([
            method,
            { name: "CredkitError", code: "STORAGE_UNAVAILABLE" },
          ]);
        }
      } finally {
        await store.close();
      }
    });
  });
}
