import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type Actor,
  type CreateCredentialInput,
  type CredentialStore,
  CredkitError,
  createCredentialService,
  createKeyring,
  decorate,
  isExpired,
  MAX_CURSOR_LENGTH,
  MAX_PAGE_SIZE,
  type StoredCredential,
  withStoreRules,
} from "../src/index.js";
import { storedRecord } from "./stored-record.js";

// The shared store rules at and past each bound, with an injected clock, each against a store that
// would bend it (so the rule, not the store, is what the test sees).
const NOW = 1_000_000;
const record = (clientId: string, overrides: Partial<StoredCredential> = {}): StoredCredential =>
  storedRecord({ clientId, credentialType: "target", authType: "none", lookupHash: null, ...overrides });

/** A memory store whose clock lags a second behind: it still returns what expired at `now`. */
function lagging(now: () => number) {
  const calls: { method: string; args: unknown[] }[] = [];
  const inner = memoryStore({ clock: () => now() - 1000 });
  const store = decorate(inner, (method, args, invoke) => {
    calls.push({ method, args: [...args] });
    return invoke(args);
  });
  return { store, calls };
}

/** A store whose list and scan fail with `error`. */
function failing(error: unknown): CredentialStore {
  return decorate(memoryStore(), (method, args, invoke) =>
    method === "list" || method === "scan"
      ? (Promise.reject(error) as ReturnType<typeof invoke>)
      : invoke(args),
  );
}

describe("the expiry rule", () => {
  it("expires a record at its expiresAt exactly", () => {
    expect(isExpired({ expiresAt: NOW }, NOW)).toBe(true);
    expect(isExpired({ expiresAt: NOW - 1 }, NOW)).toBe(true);
    expect(isExpired({ expiresAt: NOW + 1 }, NOW)).toBe(false);
    expect(isExpired({ expiresAt: null }, NOW)).toBe(false);
    expect(isExpired({ expiresAt: 0 }, NOW)).toBe(true);
  });

  it("filters list and scan pages, whatever the store's clock", async () => {
    const { store: inner } = lagging(() => NOW);
    const store = withStoreRules(inner, () => NOW);
    const clientId = `c-${randomUUID()}`;
    const expired = record(clientId, { temporary: true, expiresAt: NOW });
    const live = record(clientId, { temporary: true, expiresAt: NOW + 1 });
    await inner.create(expired);
    await inner.create(live);
    const options = { limit: 10, includeTemporary: true };
    expect((await inner.list(clientId, options)).items).toHaveLength(2); // the store would return both
    expect((await store.list(clientId, options)).items.map((r) => r.credentialId)).toEqual([
      live.credentialId,
    ]);
    const scanned = (await store.scan({ limit: MAX_PAGE_SIZE })).items.filter((r) => r.clientId === clientId);
    expect(scanned.map((r) => r.credentialId)).toEqual([live.credentialId]);
    expect(await store.get(clientId, expired.credentialId)).toBeNull();
    expect(await store.findByLookup(clientId, "k1.none")).toBeNull();
    expect(await store.get(clientId, live.credentialId)).not.toBeNull();
    // A page with nothing expired is the store's own page.
    const page = await store.list(clientId, { limit: 10 });
    expect(page.items).toEqual([]);
  });

  it("hides an expired record an update returns", async () => {
    let now = NOW;
    const { store: inner } = lagging(() => now);
    const store = withStoreRules(inner, () => now);
    const clientId = `c-${randomUUID()}`;
    const pending = record(clientId, { temporary: true, expiresAt: NOW + 5 });
    await inner.create(pending);
    now = NOW + 5;
    expect(await store.update({ ...pending, version: 2 }, 1)).toBeNull();
  });
});

describe("page sizes, cursors, version steps and lease TTLs", () => {
  it(`takes a page size from 1 to ${MAX_PAGE_SIZE}, nothing else`, async () => {
    const store = withStoreRules(memoryStore(), () => NOW);
    expect(MAX_PAGE_SIZE).toBe(1000);
    for (const limit of [1, MAX_PAGE_SIZE]) {
      await expect(store.list("c", { limit })).resolves.toMatchObject({ items: [] });
      await expect(store.scan({ limit })).resolves.toBeDefined();
    }
    for (const limit of [0, -1, MAX_PAGE_SIZE + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      await expect(store.list("c", { limit }), String(limit)).rejects.toMatchObject({
        code: "VALIDATION_ERROR",
        errors: [{ path: "limit" }],
      });
  });

  it(`hands the store a cursor of up to ${MAX_CURSOR_LENGTH} characters, never a longer or empty one`, async () => {
    const { store: inner, calls } = lagging(() => NOW);
    const store = withStoreRules(inner, () => NOW);
    expect(MAX_CURSOR_LENGTH).toBe(4096);
    const asked = () => calls.filter((c) => c.method === "list" || c.method === "scan").length;
    // At the bound the store is asked (and refuses it as not its own); past it, it is never asked.
    await expect(store.list("c", { limit: 1, cursor: "x".repeat(MAX_CURSOR_LENGTH) })).rejects.toMatchObject({
      errors: [{ path: "cursor" }],
    });
    expect(asked()).toBe(1);
    for (const cursor of ["x".repeat(MAX_CURSOR_LENGTH + 1), ""]) {
      await expect(store.list("c", { limit: 1, cursor })).rejects.toMatchObject({
        errors: [{ path: "cursor" }],
      });
      await expect(store.scan({ limit: 1, cursor })).rejects.toMatchObject({ errors: [{ path: "cursor" }] });
    }
    await expect(store.scan({ limit: 1, cursor: 5 as unknown as string })).rejects.toMatchObject({
      errors: [{ path: "cursor" }],
    });
    expect(asked()).toBe(1);
  });

  it("reports a store's failure on a cursor as a cursor error, and its other failures as they are", async () => {
    const cursor = "abc";
    const bare = withStoreRules(failing(new Error("cannot decode")), () => NOW);
    await expect(bare.list("c", { limit: 1, cursor })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      errors: [{ path: "cursor" }],
    });
    const otherPath = new CredkitError("VALIDATION_ERROR", "x", {
      errors: [{ path: "limit", message: "x" }],
    });
    await expect(
      withStoreRules(failing(otherPath), () => NOW).scan({ limit: 1, cursor }),
    ).rejects.toMatchObject({ errors: [{ path: "cursor" }] });
    const own = new CredkitError("VALIDATION_ERROR", "own", { errors: [{ path: "cursor", message: "own" }] });
    await expect(withStoreRules(failing(own), () => NOW).list("c", { limit: 1, cursor })).rejects.toBe(own);
    const down = new CredkitError("STORAGE_UNAVAILABLE", "down");
    await expect(withStoreRules(failing(down), () => NOW).list("c", { limit: 1, cursor })).rejects.toBe(down);
    // Without a cursor, a failure is never a cursor error.
    const plain = new Error("boom");
    await expect(withStoreRules(failing(plain), () => NOW).list("c", { limit: 1 })).rejects.toBe(plain);
    await expect(withStoreRules(failing(otherPath), () => NOW).scan({ limit: 1 })).rejects.toBe(otherPath);
  });

  it("takes an update whose version is exactly one more than the expected one", async () => {
    const store = withStoreRules(memoryStore(), () => NOW);
    const clientId = `c-${randomUUID()}`;
    const kept = record(clientId);
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
    await expect(store.update({ ...kept, version: 2 }, 1)).resolves.toMatchObject({ version: 2 });
  });

  it("takes any positive finite lease TTL", async () => {
    const store = withStoreRules(memoryStore(), () => NOW);
    await expect(store.acquireLease(`l-${randomUUID()}`, "o", 1)).resolves.toBe(true);
    await expect(store.acquireLease(`l-${randomUUID()}`, "o", 0.5)).resolves.toBe(true);
    for (const ttl of [0, -0.5, Number.NaN, Number.POSITIVE_INFINITY])
      await expect(store.acquireLease(`l-${randomUUID()}`, "o", ttl)).rejects.toMatchObject({
        errors: [{ path: "ttlMs" }],
      });
  });
});

describe("proxy secret uniqueness across several stores", () => {
  const admin: Actor = { userId: "alice", clientIds: "*", scopes: ["resolve"] };
  const body = (keyValue: string, region: string): CreateCredentialInput => ({
    credentialName: "k",
    credentialType: "proxy",
    authType: "apiKey",
    secret: { keyName: "X-Api-Key", keyValue },
    region,
  });

  it("refuses a secret any one of the other stores holds", async () => {
    const service = createCredentialService({
      regions: { "eu-west-1": memoryStore(), "us-east-1": memoryStore(), "ap-south-1": memoryStore() },
      keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
      defaultRegion: "eu-west-1",
    });
    const clientId = `c-${randomUUID()}`;
    const secret = "unique-0123456789abcdef0123456789";
    const created = await service.create(admin, clientId, body(secret, "eu-west-1"));
    // One store of the two others holds it: enough to refuse.
    await expect(service.create(admin, clientId, body(secret, "us-east-1"))).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(service.create(admin, clientId, body(secret, "ap-south-1"))).rejects.toMatchObject({
      code: "CONFLICT",
    });
    // The credential that holds it may keep it, and another client may use it.
    await expect(
      service.update(admin, clientId, created.credentialId, {
        secret: { keyName: "X-Api-Key", keyValue: secret },
      }),
    ).resolves.toBeDefined();
    await expect(service.create(admin, `${clientId}-2`, body(secret, "us-east-1"))).resolves.toBeDefined();
  });
});
