import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type CredentialStore,
  createCredentialService,
  createKeyring,
  decorate,
  isCredkitError,
  type StoredCredential,
  systemActor,
  withStoreRules,
} from "../src/index.js";
import { storedRecord } from "./stored-record.js";

/**
 * A custom store that bends every shared rule: its clock lags, so `expiresAt === now` is still live to
 * it; it clamps an out-of-range page size, restarts on a cursor it cannot read, stores whatever
 * version it is given, and takes a lease for a second whatever TTL it is asked for.
 */
function laxStore(now: () => number): CredentialStore {
  const inner = memoryStore({ clock: () => now() - 1 });
  return decorate(inner, (method, args, invoke) => {
    if (method === "list") {
      const [clientId, options] = args as unknown as Parameters<CredentialStore["list"]>;
      const limit = Math.min(Math.max(Math.floor(options.limit) || 1, 1), 1000);
      return inner
        .list(clientId, { ...options, limit })
        .catch((error: unknown) =>
          isCredkitError(error, "VALIDATION_ERROR")
            ? inner.list(clientId, { ...options, limit, cursor: undefined })
            : Promise.reject(error),
        ) as ReturnType<typeof invoke>;
    }
    if (method === "update") {
      const [next, expected] = args as unknown as Parameters<CredentialStore["update"]>;
      return inner.update({ ...next, version: expected + 1 }, expected) as ReturnType<typeof invoke>;
    }
    if (method === "acquireLease") {
      const [name, owner] = args as unknown as Parameters<CredentialStore["acquireLease"]>;
      return inner.acquireLease(name, owner, 1000) as ReturnType<typeof invoke>;
    }
    return invoke(args);
  });
}

/** A target record without a lookup hash, of `clientId`. */
const record = (clientId: string, overrides: Partial<StoredCredential> = {}): StoredCredential =>
  storedRecord({ clientId, credentialType: "target", authType: "none", lookupHash: null, ...overrides });

describe("the shared store rules, enforced by core around any store", () => {
  it("refuses what a lax store would bend", async () => {
    const now = 1_000_000;
    const lax = laxStore(() => now);
    const store = withStoreRules(lax, () => now);
    const clientId = `c-${randomUUID()}`;
    const expiring = record(clientId, { temporary: true, expiresAt: now });
    const kept = record(clientId);
    await store.create(expiring);
    await store.create(kept);
    // The lax store itself shows the bent rules...
    expect(await lax.get(clientId, expiring.credentialId)).not.toBeNull();
    expect((await lax.list(clientId, { limit: 5000 })).items.length).toBeGreaterThan(0);
    // ...core's rules around it do not.
    expect(await store.get(clientId, expiring.credentialId)).toBeNull();
    expect(await store.consume(clientId, expiring.credentialId)).toBeNull();
    const listed = await store.list(clientId, { limit: 10, includeTemporary: true });
    expect(listed.items.map((r) => r.credentialId)).toStrictEqual([kept.credentialId]);
    for (const limit of [0, 1001, 2.5]) {
      await expect(store.list(clientId, { limit })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
      await expect(store.scan({ limit })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    }
    await expect(store.list(clientId, { limit: 1, cursor: "" })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    await expect(store.update({ ...kept, version: 7 }, 1)).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      errors: [{ path: "version" }],
    });
    expect(await store.get(clientId, kept.credentialId)).toMatchObject({ version: 1 });
    expect(await lax.acquireLease(`lax-${clientId}`, "owner", 0)).toBe(true);
    for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(store.acquireLease(`ruled-${clientId}`, "owner", ttlMs)).rejects.toMatchObject({
        code: "VALIDATION_ERROR",
        errors: [{ path: "ttlMs" }],
      });
    }
  });

  it("are applied by the service to the stores it is given", async () => {
    let now = 1_000_000;
    const lax = laxStore(() => now);
    const service = createCredentialService({
      regions: { "eu-west-1": lax },
      keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
      now: () => now,
    });
    const clientId = `c-${randomUUID()}`;
    const pending = record(clientId, { temporary: true, expiresAt: now + 10 });
    await lax.create(pending);
    const actor = systemActor();
    expect(await service.get(actor, clientId, pending.credentialId)).toMatchObject({
      credentialTemporary: true,
    });
    now += 10; // exactly at expiresAt: expired, whatever the store's own clock says
    await expect(service.get(actor, clientId, pending.credentialId)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(service.list(actor, clientId, { limit: 1001 })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
  });
});

describe("withStoreRules forwards by construction", () => {
  it("passes every method and argument through, ones the interface lacks included", async () => {
    const calls: unknown[][] = [];
    const record = storedRecord();
    const method =
      (name: string) =>
      async (...args: unknown[]) => {
        calls.push([name, ...args]);
        return name === "update" ? { ...record, version: 2 } : null;
      };
    const store = Object.fromEntries(
      ["get", "update", "delete", "extra"].map((name) => [name, method(name)]),
    ) as unknown as CredentialStore & { extra(...args: unknown[]): Promise<unknown> };
    const ruled = withStoreRules(store) as typeof store;
    const later = Symbol("an argument added later");
    await ruled.extra(1, later);
    await (ruled.get as (...args: unknown[]) => Promise<unknown>)("c", "id", later);
    await (ruled.update as (...args: unknown[]) => Promise<unknown>)(
      { ...record, version: 2 },
      1,
      record.lookupHash,
      later,
    );
    await (ruled.delete as (...args: unknown[]) => Promise<unknown>)("c", "id", later);
    expect(calls).toStrictEqual([
      ["extra", 1, later],
      ["get", "c", "id", later],
      ["update", { ...record, version: 2 }, 1, record.lookupHash, later],
      ["delete", "c", "id", later],
    ]);
  });
});
