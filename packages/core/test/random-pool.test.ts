import { describe, expect, it } from "vitest";
import { pooledRandomBytes } from "../src/crypto/random-pool.js";

describe("pooledRandomBytes", () => {
  it("hands out each byte once, across refills, in the sizes asked", () => {
    // 12-byte IVs over 40 pools: a refill that reused or overlapped bytes would repeat a 96-bit value.
    const seen = new Set<string>();
    const kept: Buffer[] = [];
    for (let i = 0; i < 40 * 342; i++) {
      const iv = pooledRandomBytes(12);
      expect(iv.length).toBe(12);
      seen.add(iv.toString("hex"));
      if (i % 300 === 0) kept.push(iv);
    }
    expect(seen.size).toBe(40 * 342);
    // Views handed out earlier still hold what they held when given: a refill never overwrites them.
    const snapshot = kept.map((b) => b.toString("hex"));
    for (let i = 0; i < 1000; i++) pooledRandomBytes(16);
    expect(kept.map((b) => b.toString("hex"))).toEqual(snapshot);
  });

  it("serves a request larger than the pool directly", () => {
    const big = pooledRandomBytes(10_000);
    expect(big.length).toBe(10_000);
    // Not all zero: it was filled.
    expect(big.some((byte) => byte !== 0)).toBe(true);
  });
});
