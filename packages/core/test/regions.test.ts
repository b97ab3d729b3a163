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

describe("a credential id's store", () => {
  const suffix = "q1Xo2cV9aJ3m0Zr7TnB4wA";

  it("is its region's store for a well-formed id, and none for any other string", async () => {
    const { createRegionRouter } = await import("../src/regions.js");
    const { regionOfCredentialId } = await import("../src/ids.js");
    const eu = memoryStore();
    const constructorStore = memoryStore();
    const router = createRegionRouter({ "eu-west-1": eu, constructor: constructorStore });
    expect(router.storeForId(`eu-west-1.${suffix}`)).toBe(eu);
    expect(regionOfCredentialId(`eu-west-1.${suffix}`)).toBe("eu-west-1");
    expect(router.storeForId(`constructor.${suffix}`)).toBe(constructorStore);
    const malformed = [
      "",
      ".",
      "eu-west-1",
      "eu-west-1.",
      `.${suffix}`,
      `eu-west-1.${suffix.slice(1)}`,
      `eu-west-1.${suffix}A`,
      `eu-west-1..${suffix}`,
      `eu-west-1.${suffix}.x`,
      `eu-west-1.${suffix.slice(1)}.`,
      `EU-west-1.${suffix}`,
      `eu--west-1.${suffix}`,
      `-eu-west-1.${suffix}`,
      `eu-west-1.${suffix.slice(1)}+`,
      ` eu-west-1.${suffix}`,
      `eu-west-1.${suffix}\n`,
      `eu-west-1.${suffix.slice(1)}é`,
      `${"a".repeat(1_000_000)}.${suffix}!`,
    ];
    for (const id of malformed) {
      expect(regionOfCredentialId(id), JSON.stringify(id.slice(0, 40))).toBeNull();
      expect(router.storeForId(id), JSON.stringify(id.slice(0, 40))).toBeNull();
    }
    // Well formed, but not served here: a name every plain object inherits included.
    const euOnly = createRegionRouter({ "eu-west-1": eu });
    for (const region of ["us-east-1", "constructor"]) {
      expect(regionOfCredentialId(`${region}.${suffix}`)).toBe(region);
      expect(euOnly.storeForId(`${region}.${suffix}`)).toBeNull();
    }
  });
});
