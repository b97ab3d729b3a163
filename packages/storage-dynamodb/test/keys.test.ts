import { describe, expect, it } from "vitest";
import * as published from "../src/index.js";
import {
  counterItemKey,
  idempotencyItemKey,
  leaseKey,
  lookupKey,
  pendingEventPrefix,
  pendingEventsPartition,
  plainKey,
  recordKey,
} from "../src/keys.js";

describe("item keys", () => {
  it("are the layout the README documents (operators write IAM conditions and queries against it)", () => {
    expect(recordKey("client-1", "us-east-1.abc")).toStrictEqual({
      pk: { S: "client-1" },
      sk: { S: "cred#us-east-1.abc" },
    });
    expect(lookupKey("client-1", "k1.hash")).toStrictEqual({
      pk: { S: "client-1" },
      sk: { S: "lookup#k1.hash" },
    });
    expect(leaseKey("expiry-sweep")).toStrictEqual({ pk: { S: "lease#expiry-sweep" }, sk: { S: "lease" } });
    expect(idempotencyItemKey("h")).toStrictEqual({ pk: { S: "idempotency#h" }, sk: { S: "idempotency" } });
    expect(counterItemKey("c")).toStrictEqual({ pk: { S: "counter#c" }, sk: { S: "counter" } });
    expect([pendingEventsPartition, pendingEventPrefix]).toStrictEqual(["events-pending", "event#"]);
  });

  it("publishes the prefixes of every item kind", () => {
    expect({
      recordPrefix: published.recordPrefix,
      lookupPrefix: published.lookupPrefix,
      leasePartitionPrefix: published.leasePartitionPrefix,
      leaseSortKey: published.leaseSortKey,
      counterPartitionPrefix: published.counterPartitionPrefix,
      idempotencyPartitionPrefix: published.idempotencyPartitionPrefix,
      webhookPartitionPrefix: published.webhookPartitionPrefix,
      queuePartitionPrefix: published.queuePartitionPrefix,
      failedPartitionPrefix: published.failedPartitionPrefix,
      outboxIndexPartition: published.outboxIndexPartition,
      ttlAttribute: published.ttlAttribute,
    }).toStrictEqual({
      recordPrefix: "cred#",
      lookupPrefix: "lookup#",
      leasePartitionPrefix: "lease#",
      leaseSortKey: "lease",
      counterPartitionPrefix: "counter#",
      idempotencyPartitionPrefix: "idempotency#",
      webhookPartitionPrefix: "webhook#",
      queuePartitionPrefix: "outbox-queue#",
      failedPartitionPrefix: "outbox-failed#",
      outboxIndexPartition: "outbox",
      ttlAttribute: "ttl",
    });
  });

  it("reads a returned key as plain strings, and anything else as no key", () => {
    expect(plainKey({ pk: { S: "a" }, sk: { S: "cred#b" } })).toStrictEqual({ pk: "a", sk: "cred#b" });
    expect(plainKey({ pk: { S: "" }, sk: { S: "" } })).toStrictEqual({ pk: "", sk: "" });
    expect(plainKey(undefined)).toBeNull();
    expect(plainKey({})).toBeNull();
    expect(plainKey({ pk: { S: "a" } })).toBeNull();
    expect(plainKey({ sk: { S: "b" } })).toBeNull();
    expect(plainKey({ pk: { N: "1" }, sk: { S: "b" } })).toBeNull();
    expect(plainKey({ pk: { S: "a" }, sk: { N: "1" } })).toBeNull();
  });
});
