import type { CredentialStore } from "@credkit/core";
import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { expectCredkitError } from "../expect-error.js";
import { makeEvent, makeRecord, nextVersion, randomLookupHash } from "../fixtures.js";

/** The pending events of one client (other tests' clients share the store's log), oldest first. */
async function pendingOf(store: CredentialStore, clientId: string) {
  return (await store.pendingEvents(1000)).filter((entry) => entry.event.data.clientId === clientId);
}

/**
 * The pending-event log: the events a write carries are stored by the write itself, only when it
 * applies, in the order the writes applied, and stay until removed (the webhook outbox's relay reads
 * them from there, so an acknowledged change never loses its event to a crash).
 */
export function pendingEventTests(ctx: SuiteContext): void {
  describe("pending events", () => {
    const store = ctx.useStore();

    it("stores the events of every write that applies, in order, and none of one that does not", async () => {
      const record = makeRecord();
      const created = makeEvent("credential.created", record);
      await store().create(record, [created]);
      // A create that conflicts (its id exists) stores nothing.
      await expectCredkitError(store().create(record, [makeEvent("credential.created", record)]), "CONFLICT");

      const renamed = nextVersion(record, { name: "renamed" });
      const updated = makeEvent("credential.updated", renamed);
      expect(await store().update(renamed, 1, record.lookupHash, [updated])).toStrictEqual(renamed);
      // A compare-and-set that lost stores nothing.
      await expectCredkitError(
        store().update(nextVersion(record), 1, record.lookupHash, [makeEvent("credential.updated", record)]),
        "VERSION_CONFLICT",
      );
      // A new secret: the lookup entry moves in the same step as the event is stored.
      const rekeyed = nextVersion(renamed, { lookupHash: randomLookupHash() });
      const rekeyedEvent = makeEvent("credential.updated", rekeyed);
      expect(await store().update(rekeyed, 2, renamed.lookupHash, [rekeyedEvent])).toStrictEqual(rekeyed);

      const deleted = makeEvent("credential.deleted", rekeyed);
      expect(await store().delete(record.clientId, record.credentialId, [deleted])).toBe(true);
      // Nothing left to delete, update or consume: nothing stored.
      expect(
        await store().delete(record.clientId, record.credentialId, [
          makeEvent("credential.deleted", rekeyed),
        ]),
      ).toBe(false);
      expect(
        await store().consume(record.clientId, record.credentialId, [
          makeEvent("credential.consumed", rekeyed),
        ]),
      ).toBeNull();
      expect(
        await store().update(nextVersion(rekeyed), 3, rekeyed.lookupHash, [
          makeEvent("credential.updated", rekeyed),
        ]),
      ).toBeNull();

      const pending = await pendingOf(store(), record.clientId);
      expect(pending.map((entry) => entry.event)).toStrictEqual([created, updated, rekeyedEvent, deleted]);
      await store().removePendingEvents(pending);
      expect(await pendingOf(store(), record.clientId)).toStrictEqual([]);
    });

    it("stores events of writes without a lookup hash, and leaves other writes' events until they are removed", async () => {
      const plain = makeRecord({ lookupHash: null, credentialType: "target", authType: "none" });
      const other = makeRecord({ clientId: plain.clientId, lookupHash: null });
      const created = makeEvent("credential.created", plain);
      await store().create(plain, [created]);
      const updated = makeEvent("credential.updated", nextVersion(plain));
      await store().update(nextVersion(plain), 1, null, [updated]);
      // A write without events leaves the log as it was.
      await store().create(other);
      const first = await pendingOf(store(), plain.clientId);
      expect(first.map((entry) => entry.event)).toStrictEqual([created, updated]);
      // Removing the first entry leaves the second; removing it twice is harmless.
      await store().removePendingEvents(first.slice(0, 1));
      await store().removePendingEvents(first.slice(0, 1));
      expect((await pendingOf(store(), plain.clientId)).map((entry) => entry.event)).toStrictEqual([updated]);
      const consumedEvent = makeEvent("credential.consumed", other);
      expect(await store().consume(other.clientId, other.credentialId, [consumedEvent])).toStrictEqual(other);
      const rest = await pendingOf(store(), plain.clientId);
      expect(rest.map((entry) => entry.event)).toStrictEqual([updated, consumedEvent]);
      await store().removePendingEvents(rest);
      expect(await pendingOf(store(), plain.clientId)).toStrictEqual([]);
    });

    it("stores the event of exactly one of 20 concurrent consumers", async () => {
      const record = makeRecord({ singleUse: true });
      await store().create(record);
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          store().consume(record.clientId, record.credentialId, [makeEvent("credential.consumed", record)]),
        ),
      );
      expect(results.filter((result) => result !== null)).toHaveLength(1);
      const pending = await pendingOf(store(), record.clientId);
      expect(pending.map((entry) => entry.event.type)).toStrictEqual(["credential.consumed"]);
      await store().removePendingEvents(pending);
    });

    it("answers at most `limit` events", async () => {
      const record = makeRecord({ lookupHash: null });
      await store().create(record, [
        makeEvent("credential.created", record),
        makeEvent("credential.created", record),
      ]);
      expect(await store().pendingEvents(1)).toHaveLength(1);
      await store().removePendingEvents(await pendingOf(store(), record.clientId));
    });
  });
}
