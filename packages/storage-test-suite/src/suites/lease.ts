import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { longTtlMs, shortTtlMs, waitPast } from "../wait.js";

const leaseName = () => `lease-${randomUUID()}`;
const owner = () => `owner-${randomUUID()}`;

/** Leases: one holder at a time; only the holder extends or releases; expiry hands it on. */
export function leaseTests(ctx: SuiteContext): void {
  describe("leases", () => {
    const store = ctx.useStore();

    it("is acquired by one owner and refused to another", async () => {
      const [name, a, b] = [leaseName(), owner(), owner()];
      expect(await store().acquireLease(name, a, longTtlMs)).toBe(true);
      expect(await store().acquireLease(name, b, longTtlMs)).toBe(false);
    });

    it("is renewed, not refused, when its holder acquires it again", async () => {
      const [name, a, b] = [leaseName(), owner(), owner()];
      expect(await store().acquireLease(name, a, longTtlMs)).toBe(true);
      expect(await store().acquireLease(name, a, longTtlMs)).toBe(true);
      expect(await store().acquireLease(name, b, longTtlMs)).toBe(false);
    });

    it("is independent per name", async () => {
      const [first, second, a, b] = [leaseName(), leaseName(), owner(), owner()];
      expect(await store().acquireLease(first, a, longTtlMs)).toBe(true);
      expect(await store().acquireLease(second, b, longTtlMs)).toBe(true);
    });

    it("is renewed only by its owner (acquiring it again)", async () => {
      const [name, a, b] = [leaseName(), owner(), owner()];
      await store().acquireLease(name, a, longTtlMs);
      expect(await store().acquireLease(name, a, longTtlMs)).toBe(true);
      expect(await store().acquireLease(name, b, longTtlMs)).toBe(false);
    });

    it("is released only by its owner, then free for another", async () => {
      const [name, a, b] = [leaseName(), owner(), owner()];
      await store().acquireLease(name, a, longTtlMs);
      expect(await store().releaseLease(name, b)).toBe(false);
      expect(await store().acquireLease(name, b, longTtlMs)).toBe(false);
      expect(await store().releaseLease(name, a)).toBe(true);
      expect(await store().releaseLease(name, a)).toBe(false);
      expect(await store().acquireLease(name, b, longTtlMs)).toBe(true);
    });

    it("cannot be released when nobody holds it", async () => {
      const [name, a] = [leaseName(), owner()];
      expect(await store().releaseLease(name, a)).toBe(false);
    });

    it("goes to exactly one of concurrent acquirers", async () => {
      const name = leaseName();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store().acquireLease(name, owner(), longTtlMs)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("passes to another owner once expired, and the old owner cannot release it", async () => {
      const [expiring, extended, lapsed, a, b, c] = [
        leaseName(),
        leaseName(),
        leaseName(),
        owner(),
        owner(),
        owner(),
      ];
      expect(await store().acquireLease(expiring, a, shortTtlMs)).toBe(true);
      expect(await store().acquireLease(extended, a, shortTtlMs)).toBe(true);
      expect(await store().acquireLease(lapsed, a, shortTtlMs)).toBe(true);
      // The backend started each lease before the call returned, so it ends by now + ttl.
      const deadline = Date.now() + shortTtlMs;
      expect(await store().acquireLease(extended, a, longTtlMs)).toBe(true);
      await waitPast(deadline);

      expect(await store().acquireLease(extended, b, longTtlMs)).toBe(false);
      // Even untaken, a lapsed lease is gone: its old owner may have been paused while another came and went.
      expect(await store().releaseLease(lapsed, a)).toBe(false);
      expect(await store().acquireLease(lapsed, c, longTtlMs)).toBe(true);

      expect(await store().acquireLease(expiring, b, longTtlMs)).toBe(true);
      expect(await store().releaseLease(expiring, a)).toBe(false);
      expect(await store().acquireLease(expiring, c, longTtlMs)).toBe(false);
      expect(await store().releaseLease(expiring, b)).toBe(true);
    });
  });
}
