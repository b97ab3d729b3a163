import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";

/** ping: resolves while the backend answers. */
export function pingTests(ctx: SuiteContext): void {
  describe("ping", () => {
    const store = ctx.useStore();

    it("resolves", async () => {
      await expect(store().ping()).resolves.toBeUndefined();
    });

    it("names the backend", () => {
      expect(store().name).toMatch(/^\S+$/);
    });
  });
}
