import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  addStoreHooks,
  type CredentialStore,
  CredkitError,
  createCredentialService,
  createKeyring,
  defineCredentialStore,
  MAX_CURSOR_LENGTH,
  MAX_PAGE_SIZE,
  type StoredCredential,
  systemActor,
} from "../src/index.js";
import { laxDriver } from "./lax-driver.js";
import { storedRecord } from "./stored-record.js";

// Every rule defineCredentialStore applies, at and past its bound, over a driver that bends them all
// (so the rule, not the backend, is what the test sees).
const NOW = 1_000_000;
const record = (clientId: string, overrides: Partial<StoredCredential> = {}): StoredCredential =>
  storedRecord({ clientId, credentialType: "target", authType: "none", ...overrides });
const keyring = () => createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });

function built(now: () => number = () => NOW) {
  const driver = laxDriver();
  const store = defineCredentialStore(driver, { now });
  const asked = (...methods: string[]) => driver.calls.filter((c) => methods.includes(c.method)).length;
  return { driver, store, asked };
}

describe("defineCredentialStore: expiry", () => {
  it("returns nothing expired (expiresAt <= now) from any read, by the store's clock", async () => {
    const { driver, store } = built();
    const clientId = `c-${randomUUID()}`;
    const expired = record(clientId, { temporary: true, expiresAt: NOW });
    const live = record(clientId, { temporary: true, expiresAt: NOW + 1 });
    const consumed = record(clientId, { temporary: true, expiresAt: NOW });
    for (const r of [expired, live, consumed]) await store.create(r);
    // The driver itself would return the expired record...
    expect(await driver.get(clientId, expired.credentialId)).not.toBeNull();
    // ...the store never does.
    expect(await store.get(clientId, expired.credentialId)).toBeNull();
    expect(await store.findByLookup(clientId, expired.lookupHash as string)).toBeNull();
    expect(
      await store.findByLookups(clientId, [
        "k1.unknown",
        expired.lookupHash as string,
        live.lookupHash as string,
      ]),
    ).toStrictEqual([null, null, live]);
    expect(await store.consume(clientId, consumed.credentialId)).toBeNull();
    expect(await store.update({ ...expired, version: 2 }, 1)).toBeNull();
    const listed = await store.list(clientId, { limit: 10, includeTemporary: true });
    expect(listed.items.map((r) => r.credentialId)).toStrictEqual([live.credentialId]);
    const scanned = (await store.scan({ limit: MAX_PAGE_SIZE })).items.filter((r) => r.clientId === clientId);
    expect(scanned.map((r) => r.credentialId)).toStrictEqual([live.credentialId]);
    expect(await store.get(clientId, live.credentialId)).toStrictEqual(live);
  });

  it("returns nothing expired while an operation hook times its reads", async () => {
    const { store } = built();
    const timed: string[] = [];
    addStoreHooks(store, { operation: ({ operation }) => timed.push(operation) });
    const clientId = `c-${randomUUID()}`;
    const expired = record(clientId, { temporary: true, expiresAt: NOW });
    await store.create(expired);
    expect(await store.get(clientId, expired.credentialId)).toBeNull();
    expect(await store.findByLookup(clientId, expired.lookupHash as string)).toBeNull();
    expect(await store.findByLookups(clientId, [expired.lookupHash as string])).toStrictEqual([null]);
    expect(timed).toStrictEqual(["create", "get", "findByLookup", "findByLookups"]);
  });

  it("reads its clock only for a record that can expire (one read for a batch)", async () => {
    let reads = 0;
    const { store } = built(() => {
      reads++;
      return NOW;
    });
    const clientId = `c-${randomUUID()}`;
    const permanent = record(clientId);
    const temporary = record(clientId, { temporary: true, expiresAt: NOW + 1 });
    for (const r of [permanent, temporary]) await store.create(r);
    const hash = (r: StoredCredential) => r.lookupHash as string;
    const before = reads;
    expect(await store.get(clientId, permanent.credentialId)).toStrictEqual(permanent);
    expect(await store.findByLookup(clientId, hash(permanent))).toStrictEqual(permanent);
    expect(await store.findByLookups(clientId, [hash(permanent), "k1.unknown"])).toStrictEqual([
      permanent,
      null,
    ]);
    expect(reads).toBe(before);
    expect(await store.get(clientId, temporary.credentialId)).toStrictEqual(temporary);
    expect(reads).toBe(before + 1);
    expect(
      await store.findByLookups(clientId, [hash(temporary), hash(permanent), hash(temporary)]),
    ).toStrictEqual([temporary, permanent, temporary]);
    expect(reads).toBe(before + 2);
  });

  it("is the rule the service sees: a store's expired record is NOT_FOUND", async () => {
    let now = NOW;
    const { store } = built(() => now);
    const service = createCredentialService({ regions: { "eu-west-1": store }, keyring: keyring() });
    const clientId = `c-${randomUUID()}`;
    const pending = record(clientId, { temporary: true, expiresAt: NOW + 10, lookupHash: null });
    await store.create(pending);
    const actor = systemActor();
    expect(await service.get(actor, clientId, pending.credentialId)).toMatchObject({
      credentialTemporary: true,
    });
    now += 10; // exactly at expiresAt
    await expect(service.get(actor, clientId, pending.credentialId)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("defineCredentialStore: page sizes, version steps, lease TTLs", () => {
  it(`takes a page size from 1 to ${MAX_PAGE_SIZE}, and asks the driver about nothing else`, async () => {
    const { store, asked } = built();
    expect(MAX_PAGE_SIZE).toBe(1000);
    for (const limit of [1, MAX_PAGE_SIZE]) {
      await expect(store.list("c", { limit })).resolves.toMatchObject({ items: [] });
      await expect(store.scan({ limit })).resolves.toBeDefined();
    }
    expect(asked("list", "scan")).toBe(4);
    for (const limit of [0, -1, MAX_PAGE_SIZE + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(store.list("c", { limit }), String(limit)).rejects.toMatchObject({
        code: "VALIDATION_ERROR",
        errors: [{ path: "limit" }],
      });
      await expect(store.scan({ limit }), String(limit)).rejects.toMatchObject({
        errors: [{ path: "limit" }],
      });
    }
    expect(asked("list", "scan")).toBe(4);
  });

  it("takes an update whose version is exactly one more than the expected one", async () => {
    const { store, asked } = built();
    const kept = record(`c-${randomUUID()}`);
    await store.create(kept);
    for (const [version, expected] of [
      [1, 0],
      [3, 1],
      [1, 1],
      [2.5, 1.5],
    ] as const)
      await expect(
        store.update({ ...kept, version }, expected),
        `${version}/${expected}`,
      ).rejects.toMatchObject({
        code: "VALIDATION_ERROR",
        errors: [{ path: "version" }],
      });
    expect(asked("update")).toBe(0);
    await expect(store.update({ ...kept, version: 2 }, 1, kept.lookupHash)).resolves.toMatchObject({
      version: 2,
    });
  });

  it("takes any positive finite lease TTL", async () => {
    const { store, asked } = built();
    await expect(store.acquireLease("l", "o", 1)).resolves.toBe(true);
    await expect(store.acquireLease("l", "o", 0.5)).resolves.toBe(true);
    for (const ttl of [0, -0.5, Number.NaN, Number.POSITIVE_INFINITY])
      await expect(store.acquireLease("l", "o", ttl)).rejects.toMatchObject({
        code: "VALIDATION_ERROR",
        errors: [{ path: "ttlMs" }],
      });
    expect(asked("acquireLease")).toBe(2);
  });
});

describe("defineCredentialStore: the one cursor codec", () => {
  async function threeRecords() {
    const made = built();
    const clientId = `c-${randomUUID()}`;
    for (let i = 0; i < 3; i++) await made.store.create(record(clientId));
    return { ...made, clientId };
  }

  it("turns a driver's position into an opaque cursor and back, for the same walk only", async () => {
    const { store, driver, clientId } = await threeRecords();
    const first = await store.list(clientId, { limit: 1 });
    const cursor = first.cursor as string;
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await store.list(clientId, { limit: 1, cursor });
    expect(driver.calls.at(-1)?.args[1]).toMatchObject({ after: [first.items[0]?.credentialId] });
    expect(second.items[0]?.credentialId).not.toBe(first.items[0]?.credentialId);
    // A list cursor is not a scan cursor, nor the other way round.
    await expect(store.scan({ limit: 1, cursor })).rejects.toMatchObject({ errors: [{ path: "cursor" }] });
    const scanCursor = (await store.scan({ limit: 1 })).cursor as string;
    await expect(store.list(clientId, { limit: 1, cursor: scanCursor })).rejects.toMatchObject({
      errors: [{ path: "cursor" }],
    });
  });

  it(`refuses, without asking the driver, a cursor it did not make or longer than ${MAX_CURSOR_LENGTH}`, async () => {
    const { store, asked, clientId } = await threeRecords();
    const real = (await store.list(clientId, { limit: 1 })).cursor as string;
    const before = asked("list", "scan");
    const made = (...parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString("base64url");
    const refused = [
      "",
      "not a cursor",
      real.slice(0, -1),
      `${real}A`,
      `${real}=`,
      made("list", 5),
      made("other", "x"),
      made({ unexpected: true }),
      made("list", "x".repeat(3062)), // 4098 characters: one past the cap
      5 as unknown as string,
    ];
    for (const cursor of refused) {
      await expect(
        store.list(clientId, { limit: 1, cursor }),
        String(cursor).slice(0, 20),
      ).rejects.toMatchObject({
        code: "VALIDATION_ERROR",
        errors: [{ path: "cursor" }],
      });
    }
    expect(asked("list", "scan")).toBe(before);
    // At the cap exactly, a cursor of the right form reaches the driver.
    const atCap = made("list", "x".repeat(3061));
    expect(atCap).toHaveLength(MAX_CURSOR_LENGTH);
    expect(MAX_CURSOR_LENGTH).toBe(4096);
    await expect(store.list(clientId, { limit: 1, cursor: atCap })).resolves.toMatchObject({ items: [] });
    expect(asked("list", "scan")).toBe(before + 1);
  });

  it("reports a driver's failure on a position as the cursor error, and its other failures as they are", async () => {
    const failing = (error: unknown) => {
      const driver = laxDriver();
      return defineCredentialStore({
        ...driver,
        list: () => Promise.reject(error),
        scan: () => Promise.reject(error),
      });
    };
    const { store: seeded } = built();
    await seeded.create(record(`c-${randomUUID()}`));
    await seeded.create(record(`c-${randomUUID()}`));
    const scanCursor = (await seeded.scan({ limit: 1 })).cursor as string;
    await expect(
      failing(new Error("cannot resume")).scan({ limit: 1, cursor: scanCursor }),
    ).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      errors: [{ path: "cursor" }],
    });
    const otherPath = new CredkitError("VALIDATION_ERROR", "x", {
      errors: [{ path: "limit", message: "x" }],
    });
    await expect(failing(otherPath).scan({ limit: 1, cursor: scanCursor })).rejects.toMatchObject({
      errors: [{ path: "cursor" }],
    });
    const own = new CredkitError("VALIDATION_ERROR", "own", { errors: [{ path: "cursor", message: "own" }] });
    await expect(failing(own).scan({ limit: 1, cursor: scanCursor })).rejects.toBe(own);
    const down = new CredkitError("STORAGE_UNAVAILABLE", "down");
    await expect(failing(down).scan({ limit: 1, cursor: scanCursor })).rejects.toBe(down);
    // Without a cursor, a failure is never a cursor error.
    const plain = new Error("boom");
    await expect(failing(plain).list("c", { limit: 1 })).rejects.toBe(plain);
    await expect(failing(otherPath).scan({ limit: 1 })).rejects.toBe(otherPath);
  });
});

describe("defineCredentialStore: calls", () => {
  it("forwards every argument to the driver", async () => {
    const { store, driver } = built();
    const r = record("c");
    await store.create(r);
    await store.update({ ...r, version: 2 }, 1, "old-hash");
    await store.delete("c", "id");
    await store.releaseLease("name", "owner");
    expect(driver.calls.map((c) => [c.method, ...c.args])).toStrictEqual([
      ["create", r],
      ["update", { ...r, version: 2 }, 1, "old-hash"],
      ["delete", "c", "id"],
      ["releaseLease", "name", "owner"],
    ]);
  });

  it("answers an empty findByLookups with [] without asking the driver", async () => {
    const { store, asked } = built();
    expect(await store.findByLookups("c", [])).toStrictEqual([]);
    expect(asked("findByLookups")).toBe(0);
  });

  it("checks pendingEvents' limit before the driver, and removes no events without asking it", async () => {
    const { store, driver, asked } = built();
    const operations: string[] = [];
    addStoreHooks(store, { operation: (event) => void operations.push(event.operation) });
    expect(await store.pendingEvents(MAX_PAGE_SIZE)).toStrictEqual([]);
    expect(driver.calls.at(-1)).toStrictEqual({ method: "pendingEvents", args: [MAX_PAGE_SIZE] });
    for (const limit of [0, MAX_PAGE_SIZE + 1, 1.5])
      await expect(store.pendingEvents(limit)).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    expect(asked("pendingEvents")).toBe(1);
    await store.removePendingEvents([]);
    expect(asked("removePendingEvents")).toBe(0);
    const events = [{ eventId: "e1" }] as unknown as Parameters<CredentialStore["removePendingEvents"]>[0];
    await store.removePendingEvents(events);
    expect(driver.calls.at(-1)).toStrictEqual({ method: "removePendingEvents", args: [events] });
    // Each call reported under its own name, a refused limit too; removing none is no operation.
    expect(operations).toStrictEqual([...Array(4).fill("pendingEvents"), "removePendingEvents"]);
  });

  it("turns a driver's synchronous throw into a rejection", async () => {
    const boom = new Error("sync");
    const throwing = () => {
      throw boom;
    };
    const store = defineCredentialStore({ ...laxDriver(), get: throwing, ping: throwing, create: throwing });
    const outcomes = [store.get("c", "i"), store.ping(), store.create(record("c"))];
    for (const outcome of outcomes) await expect(outcome).rejects.toBe(boom);
  });
});

describe("stores the service accepts", () => {
  const service = (store: CredentialStore) =>
    createCredentialService({ regions: { "eu-west-1": store }, keyring: keyring() });

  it("refuses a store not built by defineCredentialStore, naming it", () => {
    const { calls: _calls, ...driver } = laxDriver();
    expect(() => service(driver as unknown as CredentialStore)).toThrow(
      expect.objectContaining({ code: "CONFIGURATION_ERROR", message: expect.stringContaining('"lax"') }),
    );
  });

  it("accepts a built store and a spread copy of one", () => {
    const store = memoryStore();
    expect(() => service(store)).not.toThrow();
    expect(() => service({ ...store, name: "copy" })).not.toThrow();
  });
});
