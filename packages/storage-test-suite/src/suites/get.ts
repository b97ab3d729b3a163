import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { makeRecord, randomClientId, randomCredentialId } from "../fixtures.js";

/** get: not found is null, and a record is reachable only through its own client. */
export function getTests(ctx: SuiteContext): void {
  describe("get", () => {
    const store = ctx.useStore();

    it("returns null for a client it has never seen", async () => {
      expect(await store().get(randomClientId(), randomCredentialId())).toBeNull();
    });

    it("returns null for an unknown id of a known client", async () => {
      const record = makeRecord();
      await store().create(record);
      expect(await store().get(record.clientId, randomCredentialId())).toBeNull();
    });

    it("does not return a record through another client", async () => {
      const record = makeRecord();
      await store().create(record);
      expect(await store().get(randomClientId(), record.credentialId)).toBeNull();
    });

    it("returns a live temporary record", async () => {
      const record = makeRecord({ temporary: true, expiresAt: Date.now() + 3_600_000 });
      await store().create(record);
      expect(await store().get(record.clientId, record.credentialId)).toStrictEqual(record);
    });
  });
}
