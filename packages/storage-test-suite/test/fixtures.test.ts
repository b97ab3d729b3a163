import { describe, expect, it } from "vitest";
import { makeRecord } from "../src/index.js";

describe("makeRecord", () => {
  it("builds a live permanent record with credkit-shaped ids and secret", () => {
    const record = makeRecord();
    expect(record.credentialId).toMatch(/^us-east-1\.[A-Za-z0-9_-]{22}$/);
    expect(record.clientId).toMatch(/^client-[0-9a-f-]{36}$/);
    expect(record.secret).toMatch(/^ck1\.k1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(record.lookupHash).toMatch(/^[\w-]{43}$/);
    expect(record).toMatchObject({
      version: 1,
      temporary: false,
      expiresAt: null,
      parentId: record.clientId,
    });
  });

  it("draws fresh ids per call and lets overrides win", () => {
    const a = makeRecord();
    const b = makeRecord({ clientId: a.clientId, region: "eu-west-1", lookupHash: null });
    expect(b.clientId).toBe(a.clientId);
    expect(b.credentialId).not.toBe(a.credentialId);
    expect(b.credentialId.startsWith("eu-west-1.")).toBe(true);
    expect(b.secret).not.toBe(a.secret);
    expect(b.lookupHash).toBeNull();
  });
});
