import type { CredentialStore } from "@credkit/core";
import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { makeRecord } from "../fixtures.js";

/** At rest: what the backend really holds, through the adapter's raw reader. */
export function atRestTests<S extends CredentialStore>(
  ctx: SuiteContext<S>,
  readRaw: (store: S) => Promise<string>,
): void {
  describe("at rest", () => {
    const store = ctx.useStore();
    const raw = () => readRaw(store());

    it("holds the secret as the encrypted envelope it was given", async () => {
      const record = makeRecord();
      await store().create(record);
      expect(await raw()).toContain(record.secret);
    });

    it("holds the expiry of a temporary record", async () => {
      const record = makeRecord({ temporary: true, expiresAt: Date.now() + 3_600_000 });
      await store().create(record);
      expect(await raw()).toContain(String(record.expiresAt));
    });

    it("keeps no copy of a replaced, deleted or consumed secret", async () => {
      const replaced = makeRecord();
      const deleted = makeRecord();
      const consumed = makeRecord({ singleUse: true });
      for (const record of [replaced, deleted, consumed]) await store().create(record);
      const next = { ...replaced, version: 2, secret: makeRecord().secret };
      await store().update(next, 1);
      await store().delete(deleted.clientId, deleted.credentialId);
      await store().consume(consumed.clientId, consumed.credentialId);
      const dump = await raw();
      expect(dump).toContain(next.secret);
      expect(dump).not.toContain(replaced.secret);
      expect(dump).not.toContain(deleted.secret);
      expect(dump).not.toContain(consumed.secret);
    });
  });
}
