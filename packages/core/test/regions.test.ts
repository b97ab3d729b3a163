import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";

describe("an unserved region's 400", () => {
  it("lists many served regions once, in the field error, and counts them in the message", async () => {
    const { createRegionRouter } = await import("../src/regions.js");
    const store = memoryStore();
    const many = ["eu-west-1", "eu-west-2", "eu-west-3", "us-east-1", "us-east-2", "us-west-1"];
    const router = createRegionRouter(Object.fromEntries(many.map((r) => [r, store])));
    const error = (() => {
      try {
        router.storeForRegion("ap-south-1");
      } catch (e) {
        return e as { message: string; errors: { path: string; message: string }[] };
      }
      throw new Error("accepted an unserved region");
    })();
    expect(error.message).toContain("serves 6 regions");
    expect(error.message).not.toContain("eu-west-2");
    expect(error.errors).toEqual([{ path: "region", message: expect.stringContaining(many.join(", ")) }]);
    // A few are still named in the message itself.
    const few = createRegionRouter({ "eu-west-1": store });
    expect(() => few.storeForRegion("ap-south-1")).toThrow("served regions: eu-west-1");
  });
});
