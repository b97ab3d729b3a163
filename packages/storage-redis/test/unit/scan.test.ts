import { makeRecord } from "@credkit/storage-test-suite";
import { describe, expect, it } from "vitest";
import { mockStore } from "./mock-client.js";

describe("redis store scan over many clients (ioredis-mock)", () => {
  it("visits every record when clients outnumber one call's bounded steps, including empty clients", async () => {
    const { store } = mockStore();
    // 40 clients (more than the 16 steps one call may take), every third one emptied again.
    const records = Array.from({ length: 40 }, (_, i) => makeRecord({ clientId: `scan-client-${i}` }));
    for (const record of records) await store.create(record);
    const emptied = records.filter((_, i) => i % 3 === 0);
    for (const record of emptied) await store.delete(record.clientId, record.credentialId);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.scan({ limit: 4, cursor });
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((item) => item.credentialId));
      cursor = page.cursor ?? undefined;
      pages++;
    } while (cursor !== undefined && pages < 100);

    const expected = records.filter((record) => !emptied.includes(record)).map((r) => r.credentialId);
    expect(new Set(seen)).toStrictEqual(new Set(expected));
    expect(seen).toHaveLength(expected.length);
  });
});
