import { type AnyCredkitEvent, createEventRelay } from "@credkit/core";
import { makeEvent, makeRecord } from "@credkit/storage-test-suite";
import type { Cluster } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { redisKeys, redisStore } from "../src/index.js";
import { sweepEveryMs, sweepScanCount } from "../src/pending-events.js";
import { clusterClient, randomKeyPrefix } from "./clients.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The most keys one master of the shared cluster holds now (what one full sweep walk must cover). */
async function largestMaster(client: Cluster): Promise<number> {
  const sizes = await Promise.all(client.nodes("master").map((node) => node.dbsize()));
  return Math.max(...sizes);
}

// On a Cluster the pending-client index lives in another slot than a client's event list, so a writer
// killed between its script (which appended the event) and the index bump after it, while a relay pass
// ran, leaves the event in its list with no index entry. That state is planted here as it is left.
describe("Redis Cluster: an event whose index entry a killed writer never made", () => {
  it("is found by the relay's sweep, delivered once, and removed with its index entry", async () => {
    const client = clusterClient();
    cleanups.push(() => client.disconnect());
    // Glob characters in the prefix: the sweep's SCAN pattern must match them literally.
    const keyPrefix = `${randomKeyPrefix()}[x]*?\\:`;
    const keys = redisKeys(keyPrefix);
    const record = makeRecord();
    const event = makeEvent("credential.created", record);
    await client.rpush(keys.events(record.clientId), JSON.stringify(event));
    expect(await client.zscore(keys.pendingClients(), record.clientId)).toBeNull();

    const delivered: AnyCredkitEvent[] = [];
    const relay = createEventRelay({
      stores: [redisStore({ client, keyPrefix })],
      sink: { publish: async (events) => void delivered.push(...events) },
      owner: "stranded-events-test",
    });
    // One sweep step per relay pass at most every `sweepEveryMs`: the clock is moved on, not waited for.
    vi.useFakeTimers({ toFake: ["Date"] });
    // SCAN's COUNT is a hint: allow twice the steps one walk of the largest master should take.
    const passesAllowed = 2 * Math.ceil((await largestMaster(client)) / sweepScanCount) + 2;
    let passes = 0;
    while (delivered.length === 0 && passes < passesAllowed) {
      vi.setSystemTime(Date.now() + sweepEveryMs);
      await relay.runOnce();
      passes++;
    }
    expect(delivered).toStrictEqual([event]);
    expect(await client.exists(keys.events(record.clientId))).toBe(0);
    expect(await client.zscore(keys.pendingClients(), record.clientId)).toBeNull();
    // Nothing more: the next passes find nothing to deliver.
    vi.setSystemTime(Date.now() + sweepEveryMs);
    expect(await relay.runOnce()).toBe(0);
  });

  it("sweeps at most one step per interval: one SCAN per master, none on a pass sooner than that", async () => {
    const client = clusterClient();
    cleanups.push(() => client.disconnect());
    const store = redisStore({ client, keyPrefix: randomKeyPrefix() });
    await client.ping();
    const scans = client.nodes("master").map((node) => vi.spyOn(node, "scan"));
    expect(scans).toHaveLength(3);
    const scanned = () => scans.map((scan) => scan.mock.calls.length);
    vi.useFakeTimers({ toFake: ["Date"] });
    // A fresh store sweeps on its first read.
    await store.pendingEvents(10);
    expect(scanned()).toStrictEqual([1, 1, 1]);
    vi.setSystemTime(Date.now() + sweepEveryMs - 1);
    await store.pendingEvents(10);
    expect(scanned()).toStrictEqual([1, 1, 1]);
    vi.setSystemTime(Date.now() + 1);
    await store.pendingEvents(10);
    expect(scanned()).toStrictEqual([2, 2, 2]);
    // Each step asks for the next `sweepScanCount` keys, from where the last one ended.
    const [first, second] = scans[0]?.mock.calls ?? [];
    expect(first?.slice(1)).toStrictEqual([
      "MATCH",
      expect.stringMatching(/\{c:\*\}:events$/),
      "COUNT",
      sweepScanCount,
    ]);
    expect(first?.[0]).toBe("0");
    expect(second?.[0]).toBe(await scans[0]?.mock.results[0]?.value.then((r: [string]) => r[0]));
  });
});
