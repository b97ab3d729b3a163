import type { CredentialStore, StoredCredential } from "@credkit/core";
import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { makeRecord, nextVersion } from "../fixtures.js";
import { beforeLapse, waitPast } from "../wait.js";
import { walkList } from "../walk.js";

/** A record as core writes a credential past its lifetime's end, kept by its store until `expiresAt`. */
const pastItsLifetime = (expiresAt: number): StoredCredential =>
  makeRecord({ lifetimeEndsAt: Date.now() - 60_000, expiresAt, temporary: false });

/**
 * A credential with a lifetime, as core writes it: permanent, its lifetime's end (`lifetimeEndsAt`,
 * here already past: core refuses it, the store must not care) and `expiresAt` = that end plus the
 * retention grace. The store keeps and returns it unchanged until `expiresAt`, then drops it by its own
 * expiry, exactly as it does a temporary record.
 */
export function lifetimeTests<S extends CredentialStore>(ctx: SuiteContext<S>): void {
  describe("lifetime (a permanent record with expiresAt)", () => {
    const store = ctx.useStore();

    it("is kept as written, lifetimeEndsAt included, by every read until expiresAt; gone at it", async () => {
      // Three short lifetimes' worth (more on a loaded machine): the reads below must all land before it.
      const { value, deadline } = await beforeLapse(
        "Reading the lifetime records",
        async (deadline) => {
          const record = pastItsLifetime(deadline);
          const renamed = pastItsLifetime(deadline);
          await Promise.all([store().create(record), store().create(renamed)]);
          const next = nextVersion(renamed, { name: "renamed" });
          const [one, found, batch, walk, updated] = await Promise.all([
            store().get(record.clientId, record.credentialId),
            store().findByLookup(record.clientId, record.lookupHash ?? ""),
            store().findByLookups(record.clientId, [record.lookupHash ?? ""]),
            walkList(store(), record.clientId, { limit: 10 }),
            store().update(next, 1),
          ]);
          return { record, next, one, found, batch, walk, updated };
        },
        3,
      );
      const { record, next, one, found, batch, walk, updated } = value;
      // Without proof that they were there, the "gone" assertions below would pass vacuously.
      expect(one).toStrictEqual(record);
      expect(found).toStrictEqual(record);
      expect(batch).toStrictEqual([record]);
      expect(walk.items).toStrictEqual([record]);
      expect(updated).toStrictEqual(next);

      await waitPast(deadline);
      expect(await store().get(record.clientId, record.credentialId)).toBeNull();
      expect(await store().findByLookup(record.clientId, record.lookupHash ?? "")).toBeNull();
      expect((await walkList(store(), record.clientId, { limit: 10 })).items).toEqual([]);
      expect(await store().get(next.clientId, next.credentialId)).toBeNull();
    });
  });
}
