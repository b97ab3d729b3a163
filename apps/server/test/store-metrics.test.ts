import { randomBytes } from "node:crypto";
import { type Actor, createCredentialService, createKeyring } from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../src/metrics.js";

// Each store operation is timed under its own store and operation labels, a store given twice once.
describe("store operation metrics", () => {
  it("count each operation of each store under its own labels", async () => {
    const metrics = createMetrics();
    const store = memoryStore();
    metrics.observeStores([store, store]); // one store given twice is observed once
    const admin: Actor = { userId: "u", clientIds: "*", scopes: ["resolve"] };
    const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
    const service = createCredentialService({ regions: { "us-east-1": store }, keyring });
    const body = (name: string) =>
      ({ credentialName: name, credentialType: "target", authType: "none", region: "us-east-1" }) as const;
    const created = await service.create(admin, "acme", body("a"));
    await service.create(admin, "acme", body("b"));
    await service.get(admin, "acme", created.credentialId);
    const counts = (
      await metrics.registry.getSingleMetricAsString("credkit_store_operation_duration_seconds")
    )
      .split("\n")
      .filter((line) => line.includes("_count{"));
    expect(counts).toStrictEqual([
      'credkit_store_operation_duration_seconds_count{store="memory",operation="create"} 2',
      'credkit_store_operation_duration_seconds_count{store="memory",operation="get"} 1',
    ]);
  });
});
