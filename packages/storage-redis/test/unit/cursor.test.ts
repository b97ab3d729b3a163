import { makeRecord } from "@credkit/storage-test-suite";
import { describe, expect, it } from "vitest";
import { mockStore } from "./mock-client.js";

describe("redis store cursors", () => {
  it("are opaque base64url strings that do not show the ids they point after", async () => {
    const { store } = mockStore();
    const clientId = "cursor-client";
    const records = [1, 2, 3].map(() => makeRecord({ clientId }));
    for (const record of records) await store.create(record);
    const page = await store.list(clientId, { limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const record of records) expect(page.cursor).not.toContain(record.credentialId);
    const rest = await store.list(clientId, { limit: 2, cursor: page.cursor ?? undefined });
    // A page that read fewer ids than its limit is the last one: no cursor to an empty page.
    expect(rest.cursor).toBeNull();
    expect([...page.items, ...rest.items].map((r) => r.credentialId)).toStrictEqual(
      records.map((r) => r.credentialId).sort(),
    );
  });

  // Core's one codec: `["list" | "scan", ...position]`, base64url. What this store adds is the shape of
  // its positions: one id for a list, a client and at most one id for a scan.
  const made = (...parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString("base64url");

  it.each([
    ["garbage", "not a cursor!"],
    ["base64 of non-JSON", Buffer.from("{oops").toString("base64url")],
    ["a list position without an id", made("list")],
    ["a list position of two ids", made("list", "a", "b")],
    ["a scan cursor", made("scan", "x")],
  ])("rejects %s in list with VALIDATION_ERROR naming the cursor", async (_, cursor) => {
    const { store } = mockStore();
    await expect(store.list("any", { limit: 5, cursor })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      errors: [{ path: "cursor" }],
    });
  });

  it.each([
    ["a scan position without a client", made("scan")],
    ["a scan position of three strings", made("scan", "c", "a", "b")],
  ])("rejects %s in scan with VALIDATION_ERROR naming the cursor", async (_, cursor) => {
    const { store } = mockStore();
    await expect(store.scan({ limit: 5, cursor })).rejects.toMatchObject({ errors: [{ path: "cursor" }] });
  });

  it("rejects a list cursor given to scan", async () => {
    const { store } = mockStore();
    const clientId = "cursor-client";
    for (let i = 0; i < 2; i++) await store.create(makeRecord({ clientId }));
    const cursor = (await store.list(clientId, { limit: 1 })).cursor as string;
    await expect(store.scan({ limit: 5, cursor })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  });

  it.each([0, 1001, 2.5, Number.NaN])("rejects limit %s with VALIDATION_ERROR", async (limit) => {
    const { store } = mockStore();
    await expect(store.list("any", { limit })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    await expect(store.scan({ limit })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  });
});
