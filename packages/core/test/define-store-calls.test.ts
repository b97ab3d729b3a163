import { describe, expect, it } from "vitest";
import {
  assertDefinedStore,
  type CredentialStore,
  CredkitError,
  defineCredentialStore,
} from "../src/index.js";
import { encodeCursor } from "../src/records/store-cursor.js";
import { laxDriver } from "./lax-driver.js";
import { storedRecord } from "./stored-record.js";

// What defineCredentialStore asks its driver, option by option (define-store.test.ts has the rules).

describe("defineCredentialStore: what the driver is asked", () => {
  it("lists with includeTemporary exactly true or false, and scans with the limit and position", async () => {
    const driver = laxDriver();
    const store = defineCredentialStore(driver);
    await store.list("c", { limit: 2 });
    await store.list("c", { limit: 3, includeTemporary: true });
    await store.list("c", { limit: 4, includeTemporary: false });
    await store.scan({ limit: 5 });
    expect(driver.calls.map((c) => [c.method, ...c.args])).toStrictEqual([
      ["list", "c", { limit: 2, after: undefined, includeTemporary: false }],
      ["list", "c", { limit: 3, after: undefined, includeTemporary: true }],
      ["list", "c", { limit: 4, after: undefined, includeTemporary: false }],
      ["scan", { limit: 5, after: undefined }],
    ]);
  });

  it("resumes a scan after the position its cursor holds", async () => {
    const driver = laxDriver();
    const store = defineCredentialStore(driver);
    const records = [storedRecord(), storedRecord()].sort((a, b) =>
      a.credentialId < b.credentialId ? -1 : 1,
    );
    for (const record of records) await store.create(record);
    const first = await store.scan({ limit: 1 });
    expect(first.items).toStrictEqual([records[0]]);
    // A scan cursor is the codec's, of kind "scan" (a known answer: list cursors say "list").
    expect(first.cursor).toBe(encodeCursor("scan", [records[0]?.credentialId as string]));
    const second = await store.scan({ limit: 1, cursor: first.cursor as string });
    expect(driver.calls.at(-1)?.args).toStrictEqual([{ limit: 1, after: [records[0]?.credentialId] }]);
    expect(second).toStrictEqual({ items: [records[1]], cursor: null });
  });

  it("forwards get, find, consume, lease, ping and close with their arguments", async () => {
    const driver = laxDriver();
    const store = defineCredentialStore(driver);
    await store.get("c", "g");
    await store.findByLookup("c", "h1");
    await store.findByLookups("c", ["h2", "h3"]);
    await store.consume("c", "x");
    await store.acquireLease("lease", "owner", 5);
    await store.ping();
    await store.close();
    expect(driver.calls.map((c) => [c.method, ...c.args])).toStrictEqual([
      ["get", "c", "g"],
      ["findByLookup", "c", "h1"],
      ["findByLookups", "c", ["h2", "h3"]],
      ["consume", "c", "x"],
      ["acquireLease", "lease", "owner", 5],
      ["ping"],
      ["close"],
    ]);
  });
});

describe("defineCredentialStore: a driver's failure on a cursor", () => {
  it("keeps a VALIDATION_ERROR that names the cursor among other fields; one naming no field is the cursor error", async () => {
    const failing = (error: unknown) =>
      defineCredentialStore({ ...laxDriver(), scan: () => Promise.reject(error) });
    const seeded = defineCredentialStore(laxDriver());
    await seeded.create(storedRecord());
    await seeded.create(storedRecord());
    const cursor = (await seeded.scan({ limit: 1 })).cursor as string;
    const several = new CredkitError("VALIDATION_ERROR", "own", {
      errors: [
        { path: "limit", message: "x" },
        { path: "cursor", message: "y" },
      ],
    });
    await expect(failing(several).scan({ limit: 1, cursor })).rejects.toBe(several);
    const bare = new CredkitError("VALIDATION_ERROR", "no fields");
    const refused = failing(bare).scan({ limit: 1, cursor });
    await expect(refused).rejects.toMatchObject({ code: "VALIDATION_ERROR", errors: [{ path: "cursor" }] });
    await expect(refused).rejects.toMatchObject({ cause: bare });
  });
});

describe("assertDefinedStore", () => {
  it("accepts only a store marked by the factory, and refuses anything else, named or not", () => {
    expect(() => assertDefinedStore(defineCredentialStore(laxDriver()))).not.toThrow();
    const { calls: _calls, ...unmarked } = laxDriver();
    for (const store of [unmarked, { ...unmarked, name: 7 }, undefined, null, {}]) {
      expect(() => assertDefinedStore(store as unknown as CredentialStore), String(store)).toThrow(
        expect.objectContaining({ code: "CONFIGURATION_ERROR" }),
      );
    }
    expect(() => assertDefinedStore(unmarked as unknown as CredentialStore)).toThrow('The store "lax" was');
    expect(() => assertDefinedStore({ name: 7 } as unknown as CredentialStore)).toThrow("The store was");
  });
});
