import { outboxConformanceSuite } from "@credkit/storage-test-suite";
import { expect, it } from "vitest";
import { memoryEventOutbox } from "../src/index.js";

outboxConformanceSuite("memory", { makeOutbox: () => memoryEventOutbox() });

it("names itself memory (the name metrics and logs carry)", () => {
  expect(memoryEventOutbox().name).toBe("memory");
});
