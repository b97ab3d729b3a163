import { type AnyCredkitEvent, createEventRelay } from "@credkit/core";
import { makeEvent, makeRecord } from "@credkit/storage-test-suite";
import type { Cluster } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { redisKeys, redisStore } from "../src/index.js";
import { sweepEveryMs, sweepScanCount } from "../src/pending-events.js";
import { clusterClient, randomKeyPrefix } from "./clients.js";
import { deleteKeys } from "./raw-keys.js";

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
  it("indexes no key that only looks like an event list: a read's places go to real clients", async () => {
    const client = clusterClient();
    cleanups.push(() => client.disconnect());
    const keyPrefix = randomKeyPrefix();
    cleanups.push(() => deleteKeys(client, keyPrefix));
    const store = redisStore({ client, keyPrefix });
    const record = makeRecord();
    const event = makeEvent("credential.created", record);
    await store.create(record, [event]);
    // Matches the sweep's pattern, but "@@" is no client's tag (base64url reads it as the empty id).
    await client.rpush(`${keyPrefix}{c:@@}:events`, "not an event");
    vi.useFakeTimers({ toFake: ["Date"] });
    // A full walk, as above; an index entry for the look-alike would come first (score 0) and take the
    // one place of each read.
    const passes = 2 * Math.ceil((await largestMaster(client)) / sweepScanCount) + 2;
    for (let pass = 0; pass < passes; pass++) {
      vi.setSystemTime(Date.now() + sweepEveryMs);
      expect((await store.pendingEvents(1)).map((entry) => entry.event)).toStrictEqual([event]);
    }
    expect(await client.zrange(redisKeys(keyPrefix).pendingClients(), "0", "-1")).toStrictEqual([
      record.clientId,
    ]);
  });

  it("resumes each master from its own cursor; a master gone from the topology and back starts over", async () => {
    const client = clusterClient();
    cleanups.push(() => client.disconnect());
    const store = redisStore({ client, keyPrefix: randomKeyPrefix() });
    await client.ping();
    const masters = client.nodes("master");
    // Each master answers a cursor of its own (SCAN's cursor is opaque, and "0" on a small keyspace).
    const scans = masters.map((node, i) => {
      const scan = node.scan.bind(node);
      return vi.spyOn(node, "scan").mockImplementation((async (cursor: string, ...rest: unknown[]) => {
        const [, hits] = await (scan as (...args: unknown[]) => Promise<[string, string[]]>)(cursor, ...rest);
        return [`${i + 1}`, hits];
      }) as never);
    });
    const cursorsAsked = () => scans.map((scan) => scan.mock.calls.at(-1)?.[0]);
    vi.useFakeTimers({ toFake: ["Date"] });
    const step = async () => {
      vi.setSystemTime(Date.now() + sweepEveryMs);
      await store.pendingEvents(10);
    };
    await step();
    expect(cursorsAsked()).toStrictEqual(["0", "0", "0"]);
    await step();
    expect(cursorsAsked()).toStrictEqual(["1", "2", "3"]);
    // The third master leaves the topology for one step, then comes back at the same address.
    vi.spyOn(client, "nodes").mockReturnValueOnce(masters.slice(0, 2));
    await step();
    expect(scans.map((scan) => scan.mock.calls.length)).toStrictEqual([3, 3, 2]);
    await step();
    expect(cursorsAsked()).toStrictEqual(["1", "2", "0"]);
  });
});
