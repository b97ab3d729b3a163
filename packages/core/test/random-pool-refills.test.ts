import * as crypto from "node:crypto";
import { beforeEach, describe, expect, it, vi } from "vitest";

// How often the pool asks the OS generator: once per 4 KiB, not per call (the reason the pool
// exists). randomFillSync is wrapped to count calls; it still fills with real random bytes.
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  return { ...actual, randomFillSync: vi.fn(actual.randomFillSync) };
});

const fills = vi.mocked(crypto.randomFillSync);

/** A fresh copy of the pool module (its pool starts empty). */
async function freshPool() {
  vi.resetModules();
  return (await import("../src/crypto/random-pool.js")).pooledRandomBytes;
}

beforeEach(() => {
  fills.mockClear();
});

describe("pooledRandomBytes: refills", () => {
  it("fills 4096 bytes at once and serves them to the last byte before filling again", async () => {
    const pooled = await freshPool();
    for (let i = 0; i < 256; i++) expect(pooled(16)).toHaveLength(16); // exactly 4096 bytes
    expect(fills).toHaveBeenCalledTimes(1);
    expect(fills.mock.calls[0]?.[0]).toHaveLength(4096);
    pooled(1);
    expect(fills).toHaveBeenCalledTimes(2);
  });

  it("serves a request of 4096 bytes from a fresh pool, and a larger one directly, each with one fill", async () => {
    const pooled = await freshPool();
    expect(pooled(4096)).toHaveLength(4096);
    expect(fills).toHaveBeenCalledTimes(1);
    expect(pooled(4097)).toHaveLength(4097);
    expect(fills).toHaveBeenCalledTimes(2);
    expect(fills.mock.calls[1]?.[0]).toHaveLength(4097);
  });
});
