import { makeRecord } from "@credkit/storage-test-suite";
import { describe, expect, it } from "vitest";
import { memoryStore } from "../src/index.js";

describe("memoryStore", () => {
  it("is named memory", () => {
    expect(memoryStore().name).toBe("memory");
  });

  it("copies records in: mutating the created object changes nothing stored", async () => {
    const store = memoryStore();
    const record = makeRecord();
    const original = structuredClone(record);
    await store.create(record);
    record.name = "mutated";
    record.version = 99;
    expect(await store.get(record.clientId, record.credentialId)).toStrictEqual(original);
  });

  it("copies records out of get, list, findByLookup, scan and update", async () => {
    const store = memoryStore();
    const record = makeRecord();
    await store.create(record);
    const outs = [
      await store.get(record.clientId, record.credentialId),
      (await store.list(record.clientId, { limit: 10 })).items[0],
      await store.findByLookup(record.clientId, record.lookupHash ?? ""),
      (await store.scan({ limit: 10 })).items[0],
    ];
    for (const out of outs) {
      if (!out) throw new Error("expected a record");
      out.name = "mutated";
    }
    expect(await store.get(record.clientId, record.credentialId)).toStrictEqual(record);
    const next = { ...record, version: 2, name: "renamed" };
    const updated = await store.update(next, 1);
    if (!updated) throw new Error("expected the update to apply");
    updated.name = "mutated";
    next.secret = "mutated";
    expect(await store.get(record.clientId, record.credentialId)).toStrictEqual({
      ...record,
      version: 2,
      name: "renamed",
    });
  });

  it("expires records by the injected clock", async () => {
    let now = 1_000_000;
    const store = memoryStore({ clock: () => now });
    const record = makeRecord({ temporary: true, expiresAt: now + 1000 });
    await store.create(record);
    now += 999;
    expect(await store.get(record.clientId, record.credentialId)).toStrictEqual(record);
    now += 1;
    expect(await store.get(record.clientId, record.credentialId)).toBeNull();
    expect(await store.findByLookup(record.clientId, record.lookupHash ?? "")).toBeNull();
    expect((await store.scan({ limit: 10 })).items).toStrictEqual([]);
  });

  it("reads the clock only for records that can expire", async () => {
    let reads = 0;
    const store = memoryStore({
      clock: () => {
        reads++;
        return 1_000_000;
      },
    });
    const permanent = makeRecord();
    const temporary = makeRecord({ clientId: permanent.clientId, temporary: true, expiresAt: 2_000_000 });
    for (const record of [permanent, temporary]) await store.create(record);
    const before = reads;
    expect(await store.get(permanent.clientId, permanent.credentialId)).toStrictEqual(permanent);
    expect(await store.findByLookups(permanent.clientId, [permanent.lookupHash ?? ""])).toStrictEqual([
      permanent,
    ]);
    expect(reads).toBe(before);
    expect(await store.findByLookups(temporary.clientId, [temporary.lookupHash ?? ""])).toStrictEqual([
      temporary,
    ]);
    expect(reads).toBeGreaterThan(before);
  });

  it("expires leases by the injected clock", async () => {
    let now = 5_000;
    const store = memoryStore({ clock: () => now });
    expect(await store.acquireLease("refresh", "a", 100)).toBe(true);
    now += 99;
    expect(await store.acquireLease("refresh", "b", 100)).toBe(false);
    expect(await store.acquireLease("refresh", "a", 100)).toBe(true); // the holder renews it
    now += 100;
    expect(await store.acquireLease("refresh", "b", 100)).toBe(true);
    expect(await store.releaseLease("refresh", "a")).toBe(false);
  });

  it("rejects cursors it did not make and out-of-range limits with VALIDATION_ERROR", async () => {
    const store = memoryStore();
    const record = makeRecord();
    await store.create(record);
    for (const cursor of ["not a cursor", "e30", Buffer.from('["a","b"]').toString("base64url")]) {
      await expect(store.list(record.clientId, { limit: 5, cursor })).rejects.toMatchObject({
        code: "VALIDATION_ERROR",
      });
    }
    await expect(store.scan({ limit: 5, cursor: "!!" })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    for (const limit of [0, 1001, 1.5]) {
      await expect(store.list(record.clientId, { limit })).rejects.toMatchObject({
        code: "VALIDATION_ERROR",
      });
    }
    await expect(store.acquireLease("x", "a", 0)).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  });

  it("ends the last page with a null cursor, not an empty extra page", async () => {
    const store = memoryStore();
    const clientId = makeRecord().clientId;
    for (let i = 0; i < 4; i++) await store.create(makeRecord({ clientId }));
    const first = await store.list(clientId, { limit: 2 });
    expect(first.cursor).not.toBeNull();
    const second = await store.list(clientId, { limit: 2, cursor: first.cursor ?? undefined });
    expect(second.items).toHaveLength(2);
    expect(second.cursor).toBeNull();
  });

  it("ends a scan whose last page is exactly full with a null cursor", async () => {
    const store = memoryStore();
    for (let i = 0; i < 4; i++) await store.create(makeRecord());
    const first = await store.scan({ limit: 2 });
    expect(first.cursor).not.toBeNull();
    const second = await store.scan({ limit: 2, cursor: first.cursor ?? undefined });
    expect(second.items).toHaveLength(2);
    expect(second.cursor).toBeNull();
  });

  it("refuses a release at the lease's expiry instant, and allows one a millisecond before", async () => {
    let now = 10_000;
    const store = memoryStore({ clock: () => now });
    for (const [owner, at, released] of [
      ["a", 99, true],
      ["b", 100, false],
    ] as const) {
      now = 10_000;
      expect(await store.acquireLease(`lease-${owner}`, owner, 100)).toBe(true);
      now += at;
      expect(await store.releaseLease(`lease-${owner}`, owner)).toBe(released);
    }
  });

  it("resumes a scan whose cursor's client has since gone", async () => {
    const store = memoryStore();
    const records = Array.from({ length: 3 }, () => makeRecord());
    for (const record of records) await store.create(record);
    const first = await store.scan({ limit: 1 });
    const [seen] = first.items;
    if (!seen) throw new Error("expected a record");
    await store.delete(seen.clientId, seen.credentialId);
    const rest = await store.scan({ limit: 10, cursor: first.cursor ?? undefined });
    expect(rest.items).toHaveLength(2);
    expect(rest.cursor).toBeNull();
  });
});
