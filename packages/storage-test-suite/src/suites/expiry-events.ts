import { randomBytes, randomUUID } from "node:crypto";
import {
  type Actor,
  type AnyCredkitEvent,
  type CredentialStore,
  createCredentialService,
  createKeyring,
} from "@credkit/core";
import { describe, expect, it } from "vitest";

const DAY = 24 * 60 * 60 * 1000;
const admin: Actor = { userId: "ops", clientIds: "*" };
const PROCESSES = 3;

/**
 * Expiry events across processes: three services, each over its own store of one backend (three
 * processes as far as the backend can tell), one clock. The marker and sweep leases live in the
 * backend, so each event is emitted once however many processes sweep, and every process refuses the
 * credential at its `expiresAt`.
 */
export function expiryEventTests(
  makeSharedStoreAt: (clock: () => number) => Promise<CredentialStore> | CredentialStore,
): void {
  describe("expiry events across processes sharing the backend", () => {
    it("emit exactly one credential.expiring per threshold and one credential.expired, however many sweep", async () => {
      let at = Date.now();
      const now = () => at;
      const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
      const stores = await Promise.all(Array.from({ length: PROCESSES }, () => makeSharedStoreAt(now)));
      try {
        const events: AnyCredkitEvent[] = [];
        const services = stores.map((store) => {
          const service = createCredentialService({
            regions: { "eu-west-1": store },
            keyring,
            defaultRegion: "eu-west-1",
            now,
            nearCache: { ttlMs: 0 },
          });
          service.events.subscribe(["credential.expiring", "credential.expired"], (e) => events.push(e));
          return service;
        });
        const clientId = `c-${randomUUID()}`;
        const keyValue = `key-${randomUUID()}`;
        const created = await services[0]?.create(admin, clientId, {
          credentialName: "expiring",
          credentialType: "proxy",
          authType: "apiKey",
          secret: { keyName: "X-Api-Key", keyValue },
          expiresAt: new Date(at + 8 * DAY).toISOString(),
        });
        const mine = () =>
          events
            .filter((e) => e.data.credentialId === created?.credentialId)
            .map((e) => (e.type === "credential.expiring" ? `expiring ${e.data.leadSeconds}` : e.type));
        // Every process sweeps three times at each step, all at once.
        const sweepEverywhere = () =>
          Promise.all(services.flatMap((service) => [1, 2, 3].map(() => service.sweepExpiries())));
        await sweepEverywhere();
        expect(mine()).toEqual([]);
        for (const step of [DAY, 6 * DAY, DAY, 10 * DAY]) {
          at += step;
          await sweepEverywhere();
        }
        expect(mine()).toEqual(["expiring 604800", "expiring 86400", "credential.expired"]);
        for (const service of services) {
          const verdict = await service.verifyProxyRequest(admin, clientId, {
            headers: { "x-api-key": keyValue },
          });
          expect(verdict).toEqual({ ok: false, reason: "EXPIRED" });
        }
      } finally {
        for (const store of new Set(stores)) await store.close();
      }
    });
  });
}
