import { afterEach, describe, expect, it, vi } from "vitest";
import {
  addStoreHooks,
  type CredentialWrite,
  defineCredentialStore,
  STORE_RULES,
  type StoreOperationEvent,
} from "../src/index.js";
import { STORE_HOOKS, type StoreHookLists } from "../src/records/store-hooks.js";
import { laxDriver } from "./lax-driver.js";
import { storedRecord } from "./stored-record.js";

// What the hooks are told, field by field, for each outcome (store-hooks.test.ts has the service's view).

/** A store over the lax driver with one write hook and one operation hook recording what they hear. */
function heard(driver = laxDriver()) {
  const store = defineCredentialStore(driver);
  const writes: CredentialWrite[] = [];
  const operations: StoreOperationEvent[] = [];
  addStoreHooks(store, { write: (write) => void writes.push(write) });
  addStoreHooks(store, { operation: (event) => void operations.push(event) });
  return { store, driver, writes, operations };
}

const lists = (store: object) => (store as { [STORE_HOOKS]: StoreHookLists })[STORE_HOOKS];

afterEach(() => {
  vi.useRealTimers();
});

describe("store hooks: what a write announces", () => {
  it("a failed create: its record, no version, not succeeded", async () => {
    const failing = { ...laxDriver(), create: () => Promise.reject(new Error("down")) };
    const { store, writes } = heard(failing);
    const record = storedRecord();
    await expect(store.create(record)).rejects.toThrow("down");
    expect(writes).toStrictEqual([
      {
        kind: "create",
        clientId: record.clientId,
        credentialId: record.credentialId,
        version: null,
        record,
        succeeded: false,
      },
    ]);
  });

  it("an update of nothing (null) and a consume of nothing: succeeded, no version", async () => {
    const { store, writes } = heard();
    const record = storedRecord();
    expect(await store.update({ ...record, version: 2 }, 1)).toBeNull();
    expect(await store.consume(record.clientId, record.credentialId)).toBeNull();
    expect(writes).toStrictEqual([
      {
        kind: "update",
        clientId: record.clientId,
        credentialId: record.credentialId,
        version: null,
        record: { ...record, version: 2 },
        succeeded: true,
      },
      {
        kind: "consume",
        clientId: record.clientId,
        credentialId: record.credentialId,
        version: null,
        record: null,
        succeeded: true,
      },
    ]);
  });

  it("a failed delete and a failed consume: their ids, no record, not succeeded", async () => {
    const down = () => Promise.reject(new Error("down"));
    const { store, writes } = heard({ ...laxDriver(), delete: down, consume: down });
    await expect(store.delete("c", "i")).rejects.toThrow("down");
    await expect(store.consume("c", "j")).rejects.toThrow("down");
    expect(writes).toStrictEqual([
      { kind: "delete", clientId: "c", credentialId: "i", version: null, record: null, succeeded: false },
      { kind: "consume", clientId: "c", credentialId: "j", version: null, record: null, succeeded: false },
    ]);
  });
});

describe("store hooks: what an operation reports", () => {
  it("its duration in seconds, measured around the driver's call", async () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    vi.advanceTimersByTime(10_000); // a clock that does not start at 0: the start is subtracted
    const slow = {
      ...laxDriver(),
      get: async () => {
        vi.advanceTimersByTime(1500);
        return null;
      },
    };
    const { store, operations } = heard(slow);
    await store.get("c", "i");
    expect(operations).toStrictEqual([{ store: "lax", operation: "get", seconds: 1.5 }]);
  });

  it("a failure's code, UNKNOWN for an error without a string code, and no code on success", async () => {
    const failures: unknown[] = [new Error("plain"), { code: 42 }, null, "text"];
    let next = 0;
    const driver = { ...laxDriver(), ping: () => Promise.reject(failures[next++]) };
    const { store, operations } = heard(driver);
    for (const failure of failures) await expect(store.ping()).rejects.toBe(failure);
    await store.releaseLease("l", "o");
    expect(operations.map((event) => [event.operation, event.errorCode])).toStrictEqual([
      ["ping", "UNKNOWN"],
      ["ping", "UNKNOWN"],
      ["ping", "UNKNOWN"],
      ["ping", "UNKNOWN"],
      ["releaseLease", undefined],
    ]);
    expect("errorCode" in (operations.at(-1) as object)).toBe(false);
  });
});

describe("store hooks: which operation", () => {
  it("names every operation but close, each as the store method it reports", async () => {
    const { store, operations } = heard();
    const record = storedRecord();
    await store.create(record);
    await store.get(record.clientId, record.credentialId);
    await store.findByLookup(record.clientId, "h");
    await store.findByLookups(record.clientId, ["h"]);
    await store.list(record.clientId, { limit: 1 });
    await store.scan({ limit: 1 });
    await store.update({ ...record, version: 2 }, 1);
    await store.delete(record.clientId, record.credentialId);
    await store.consume(record.clientId, record.credentialId);
    await store.acquireLease("l", "o", 1);
    await store.releaseLease("l", "o");
    await store.ping();
    await store.close();
    expect(operations.map((event) => event.operation)).toStrictEqual([
      "create",
      "get",
      "findByLookup",
      "findByLookups",
      "list",
      "scan",
      "update",
      "delete",
      "consume",
      "acquireLease",
      "releaseLease",
      "ping",
    ]);
  });

  it("are kept under registered symbols, so two copies of core share them (a known answer)", () => {
    expect(STORE_HOOKS).toBe(Symbol.for("@credkit/core.storeHooks"));
    expect(STORE_RULES).toBe(Symbol.for("@credkit/core.storeRules"));
  });
});

describe("addStoreHooks", () => {
  it("puts hooks only in the lists they listen on", () => {
    const store = defineCredentialStore(laxDriver());
    const { writers, observers } = lists(store);
    const both = { write: () => {}, operation: () => {} };
    const writeOnly = { write: () => {} };
    const operationOnly = { operation: () => {} };
    for (const hooks of [both, writeOnly, operationOnly]) addStoreHooks(store, hooks);
    expect(writers).toStrictEqual([both, writeOnly]);
    expect(observers).toStrictEqual([both, operationOnly]);
  });

  it("removes a hook that stands first in its list", () => {
    const store = defineCredentialStore(laxDriver());
    const { writers, observers } = lists(store);
    const first = { write: () => {}, operation: () => {} };
    const second = { write: () => {}, operation: () => {} };
    const removeFirst = addStoreHooks(store, first);
    addStoreHooks(store, second);
    removeFirst();
    expect(writers).toStrictEqual([second]);
    expect(observers).toStrictEqual([second]);
  });
});
