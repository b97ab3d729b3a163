import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore, proxy, target } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type Actor,
  addStoreHooks,
  type CredentialStore,
  type CredentialWrite,
  createCredentialService,
  createKeyring,
  createNearCache,
  reencryptStore,
  type StoreOperationEvent,
} from "../src/index.js";

const admin: Actor = { userId: "alice", clientIds: "*", scopes: ["resolve"] };
const k1 = { id: "k1", key: randomBytes(32) };
const keyring = createKeyring({ activeKeyId: "k1", keys: [k1] });
const KEY = "store-hooks-key-long-enough";
const apiKey = (singleUse = false) => proxy("apiKey", { keyName: "X-Api-Key", keyValue: KEY }, { singleUse });

/** A store whose write hook records every announcement. */
function recorded(store: CredentialStore = memoryStore()) {
  const writes: CredentialWrite[] = [];
  const remove = addStoreHooks(store, { write: (write) => void writes.push(write) });
  return { store, writes, remove };
}

/** A service over `store` alone, and a fresh client id. */
const serviceOver = (store: CredentialStore) => ({
  service: createCredentialService({ regions: { "eu-west-1": store }, keyring, defaultRegion: "eu-west-1" }),
  clientId: `c-${randomUUID()}`,
});

const brief = ({ kind, clientId, credentialId, version, succeeded }: CredentialWrite) => ({
  kind,
  clientId,
  credentialId,
  version,
  succeeded,
});

describe("store hooks", () => {
  it("announce every write of the store, whoever wrote, with its ids, kind and version", async () => {
    const { store, writes } = recorded();
    const { service, clientId } = serviceOver(store);
    const created = await service.create(admin, clientId, apiKey(true));
    await service.update(admin, clientId, created.credentialId, { credentialName: "renamed" });
    expect(
      await service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": KEY } }),
    ).toMatchObject({
      ok: true,
    });
    const other = await service.create(admin, clientId, target("none", {}));
    await service.delete(admin, clientId, other.credentialId);
    // A job writing without the service (re-encryption under a new key) is announced by the same store.
    const third = await service.create(admin, clientId, target("custom", { headers: { "X-Key": "v" } }));
    const rotated = createKeyring({ activeKeyId: "k2", keys: [{ id: "k2", key: randomBytes(32) }, k1] });
    await reencryptStore({ store, keyring: rotated });
    const id = created.credentialId;
    expect(writes.map(brief)).toEqual([
      { kind: "create", clientId, credentialId: id, version: 1, succeeded: true },
      { kind: "update", clientId, credentialId: id, version: 2, succeeded: true },
      { kind: "consume", clientId, credentialId: id, version: 2, succeeded: true },
      { kind: "create", clientId, credentialId: other.credentialId, version: 1, succeeded: true },
      { kind: "delete", clientId, credentialId: other.credentialId, version: null, succeeded: true },
      { kind: "create", clientId, credentialId: third.credentialId, version: 1, succeeded: true },
      { kind: "update", clientId, credentialId: third.credentialId, version: 2, succeeded: true },
    ]);
    // The record of a create or update is the sealed one: never the plaintext.
    expect(writes[0]?.record?.credentialId).toBe(id);
    expect(JSON.stringify(writes)).not.toContain(KEY);
  });

  it("announce a write that failed, and wait for the hook before the write returns", async () => {
    const { store, writes } = recorded();
    const { service, clientId } = serviceOver(store);
    const created = await service.create(admin, clientId, target("none", {}));
    const stored = await store.get(clientId, created.credentialId);
    if (!stored) throw new Error("not stored");
    const stale = { ...stored, version: 3 };
    await expect(store.update(stale, 2)).rejects.toMatchObject({ code: "VERSION_CONFLICT" });
    expect(writes.at(-1)).toMatchObject({ kind: "update", version: null, succeeded: false });

    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    addStoreHooks(store, { write: () => held });
    let returned = false;
    const deleting = store.delete(clientId, created.credentialId).then(() => (returned = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(returned).toBe(false);
    release();
    await deleting;
    expect(returned).toBe(true);
  });

  it("never fail a write for a hook's failure, and stop once removed", async () => {
    const store = memoryStore();
    addStoreHooks(store, {
      write: () => Promise.reject(new Error("pub/sub down")),
      operation: () => {
        throw new Error("metrics broke");
      },
    });
    const { writes, remove } = recorded(store);
    const { service, clientId } = serviceOver(store);
    const created = await service.create(admin, clientId, target("none", {}));
    expect(await service.get(admin, clientId, created.credentialId)).toEqual(created);
    expect(writes).toHaveLength(1);
    remove();
    remove();
    await service.delete(admin, clientId, created.credentialId);
    expect(writes).toHaveLength(1);
  });

  it("add the same hooks once, and report every operation with its store, duration and failure code", async () => {
    const store = memoryStore();
    const operations: StoreOperationEvent[] = [];
    const hooks = { operation: (event: StoreOperationEvent) => void operations.push(event) };
    addStoreHooks(store, hooks);
    addStoreHooks(store, hooks);
    await store.get("acme", "nope");
    await expect(store.list("acme", { limit: 1, cursor: "not-a-cursor" })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    await store.acquireLease("lease", "me", 1000);
    await expect(store.update({} as never, 1)).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    await store.close();
    expect(operations.map(({ operation, errorCode }) => [operation, errorCode])).toEqual([
      ["get", undefined],
      ["acquireLease", undefined],
      ["update", "VALIDATION_ERROR"],
    ]);
    expect(operations.every((event) => event.store === "memory" && event.seconds >= 0)).toBe(true);
  });

  it("reach the near cache: every write drops the client's verdicts", async () => {
    const store = memoryStore();
    const cache = createNearCache({ ttlMs: 60_000 });
    const heard: (string | null)[] = [];
    cache.onInvalidate((clientId) => heard.push(clientId));
    const service = createCredentialService({
      regions: { "eu-west-1": store, "us-east-1": store },
      keyring,
      defaultRegion: "eu-west-1",
      nearCache: cache,
    });
    // A second service with the same cache: the cache still hears each write once.
    createCredentialService({ regions: { "eu-west-1": store }, keyring, nearCache: cache });
    const clientId = `c-${randomUUID()}`;
    const created = await service.create(admin, clientId, apiKey());
    await service.update(admin, clientId, created.credentialId, { credentialDefaultRuleEffect: "deny" });
    await service.delete(admin, clientId, created.credentialId);
    expect(heard).toEqual([clientId, clientId, clientId]);
  });

  it("are refused on a store not built by defineCredentialStore", () => {
    const bare = { ...memoryStore() } as Record<PropertyKey, unknown>;
    for (const key of Object.getOwnPropertySymbols(bare)) delete bare[key];
    expect(() => addStoreHooks(bare as unknown as CredentialStore, { write: () => {} })).toThrow(
      expect.objectContaining({ code: "CONFIGURATION_ERROR" }),
    );
  });
});
