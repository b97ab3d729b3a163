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
    expect([...page.items, ...rest.items].map((r) => r.credentialId)).toStrictEqual(
      records.map((r) => r.credentialId).sort(),
    );
  });

  it.each([
    ["garbage", "not a cursor!"],
    ["base64 of non-JSON", Buffer.from("{oops").toString("base64url")],
    ["JSON of the wrong shape", Buffer.from(JSON.stringify({ v: 1, k: "list", a: 5 })).toString("base64url")],
    [
      "a scan cursor",
      Buffer.from(JSON.stringify({ v: 1, k: "scan", c: "x", a: null })).toString("base64url"),
    ],
  ])("rejects %s with VALIDATION_ERROR", async (_, cursor) => {
    const { store } = mockStore();
    await expect(store.list("any", { limit: 5, cursor })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  });

  it("rejects a list cursor given to scan", async () => {
    const { store } = mockStore();
    const cursor = Buffer.from(JSON.stringify({ v: 1, k: "list", a: "x" })).toString("base64url");
    await expect(store.scan({ limit: 5, cursor })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  });

  it.each([0, 1001, 2.5, Number.NaN])("rejects limit %s with VALIDATION_ERROR", async (limit) => {
    const { store } = mockStore();
    await expect(store.list("any", { limit })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    await expect(store.scan({ limit })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  });
});
