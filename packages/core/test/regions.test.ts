import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { type CredentialStore, mapStores } from "../src/index.js";

describe("mapStores", () => {
  it("wraps each distinct store once: regions that share a store share its wrapper", () => {
    const shared = memoryStore();
    const own = memoryStore();
    const wrapped: CredentialStore[] = [];
    const regions = mapStores({ "eu-west-1": shared, "us-east-1": own, "eu-west-2": shared }, (store) => {
      wrapped.push(store);
      return { ...store, name: `wrapped-${wrapped.length}` };
    });
    expect(wrapped).toEqual([shared, own]);
    expect(Object.keys(regions)).toEqual(["eu-west-1", "us-east-1", "eu-west-2"]);
    expect(regions["eu-west-1"]).toBe(regions["eu-west-2"]);
    expect(regions["eu-west-1"]?.name).toBe("wrapped-1");
    expect(regions["us-east-1"]?.name).toBe("wrapped-2");
  });
});
