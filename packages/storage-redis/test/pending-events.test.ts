import { randomUUID } from "node:crypto";
import type { AnyCredkitEvent, StoredCredential } from "@credkit/core";
import { makeRecord } from "@credkit/storage-test-suite";
import type { Cluster, Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { type RedisClient, redisKeys, redisStore } from "../src/index.js";
import { clusterClient, randomKeyPrefix, standaloneClient } from "./clients.js";
import { deleteKeys } from "./raw-keys.js";

/** An event about `record` (the store keeps it as JSON; its shape is the service's business). */
function eventOf(record: StoredCredential): AnyCredkitEvent {
  return {
    id: `evt_${randomUUID()}`,
    type: "credential.created",
    timestamp: new Date(0).toISOString(),
    data: { clientId: record.clientId, credentialId: record.credentialId },
  } as unknown as AnyCredkitEvent;
}

/** A record of a new client whose id starts with `first` (equal index marks sort by client id). */
function recordOf(first: string): StoredCredential {
  return makeRecord({ clientId: `${first}-${randomUUID()}`, lookupHash: null });
}

/**
 * `client` with `command` replaced once: the real call answers, then `meanwhile` runs (another
 * process's write landing in that instant) before the store sees the answer.
 */
function interceptedOnce(client: RedisClient, command: string, meanwhile: () => Promise<unknown>) {
  let armed = true;
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop !== command || !armed) return value.bind(target);
      return async (...args: unknown[]) => {
        armed = false;
        const answer = await value.apply(target, args);
        await meanwhile();
        return answer;
      };
    },
  }) as RedisClient;
}

const targets: [string, () => Redis | Cluster][] = [
  ["standalone", standaloneClient],
  ["cluster", clusterClient],
];

// The pending-event log is shared by a whole prefix: each test takes its own, so none sees another's.
describe.each(targets)("redis pending-event log (%s)", (_kind, makeClient) => {
  const client = makeClient();
  const prefixes: string[] = [];
  const fresh = () => {
    const keyPrefix = randomKeyPrefix();
    prefixes.push(keyPrefix);
    return { keyPrefix, keys: redisKeys(keyPrefix), store: redisStore({ client, keyPrefix }) };
  };
  afterAll(async () => {
    for (const keyPrefix of prefixes) await deleteKeys(client, keyPrefix);
    await client.quit();
  });

  it("bumps the client's index mark with every write that appends events, never with one that appends none", async () => {
    const { keys, store } = fresh();
    const record = makeRecord({ lookupHash: null });
    const mark = async () => Number(await client.zscore(keys.pendingClients(), record.clientId));
    await store.create(record, [eventOf(record)]);
    const first = await mark();
    expect(first).toBeGreaterThan(0);
    await store.create(makeRecord({ clientId: record.clientId, lookupHash: null }));
    await store.create(makeRecord({ clientId: record.clientId, lookupHash: null }), []);
    expect(await mark()).toBe(first);
    // A client whose writes carried no event is never indexed.
    const silent = makeRecord({ lookupHash: null });
    await store.create(silent, []);
    expect(await client.zscore(keys.pendingClients(), silent.clientId)).toBeNull();
    await store.update({ ...record, version: 2 }, 1, null, [eventOf(record)]);
    expect(await mark()).toBeGreaterThan(first);
  });

  it("keeps a client indexed when a write appends while a relay finds its list empty", async () => {
    const { keyPrefix, keys, store } = fresh();
    const record = makeRecord({ lookupHash: null });
    const event = eventOf(record);
    // An index entry whose list is empty (a cluster write that appended nothing leaves one).
    await client.zincrby(keys.pendingClients(), 1, record.clientId);
    // The relay reads the empty list; the write (script and index mark) lands before it drops the entry.
    const relay = redisStore({
      client: interceptedOnce(client, "lrange", () => store.create(record, [event])),
      keyPrefix,
    });
    expect(await relay.pendingEvents(10)).toStrictEqual([]);
    expect((await store.pendingEvents(10)).map((entry) => entry.event)).toStrictEqual([event]);
  });

  it("keeps a client indexed when a write appends after a relay emptied its list", async () => {
    const { keyPrefix, store } = fresh();
    const record = makeRecord({ lookupHash: null });
    const [first, second] = [eventOf(record), eventOf(record)];
    await store.create(record, [first]);
    const relayed = await store.pendingEvents(10);
    expect(relayed.map((entry) => entry.event)).toStrictEqual([first]);
    // The relay removes what it relayed and finds the list empty; the next write lands before the drop.
    const relay = redisStore({
      client: interceptedOnce(client, "llen", () =>
        store.update({ ...record, version: 2 }, 1, null, [second]),
      ),
      keyPrefix,
    });
    await relay.removePendingEvents(relayed);
    expect((await store.pendingEvents(10)).map((entry) => entry.event)).toStrictEqual([second]);
  });

  it("answers at most `limit` events, reading each client's list only as far as the limit left", async () => {
    const { store } = fresh();
    // The index orders a before b (equal marks sort by client id): a's two events, then b's two.
    const [a, b] = [recordOf("a"), recordOf("b")];
    const [a1, a2, b1, b2] = [eventOf(a), eventOf(a), eventOf(b), eventOf(b)];
    await store.create(a, [a1, a2]);
    await store.create(b, [b1, b2]);
    const read = async (limit: number) => (await store.pendingEvents(limit)).map((entry) => entry.event);
    expect(await read(1)).toStrictEqual([a1]);
    expect(await read(2)).toStrictEqual([a1, a2]);
    expect(await read(3)).toStrictEqual([a1, a2, b1]);
    expect(await read(10)).toStrictEqual([a1, a2, b1, b2]);
  });

  it("looks at no more than `limit` clients per read, an emptied one included; the next read gets the rest", async () => {
    const { keys, store } = fresh();
    const [a, b] = [recordOf("a"), recordOf("b")];
    const [eventA, eventB] = [eventOf(a), eventOf(b)];
    await store.create(a, [eventA]);
    await store.create(b, [eventB]);
    // Read first (score 0), with no events: it takes one of the two clients this read looks at.
    await client.zadd(keys.pendingClients(), 0, "client-without-events");
    expect((await store.pendingEvents(2)).map((entry) => entry.event)).toStrictEqual([eventA]);
    expect((await store.pendingEvents(2)).map((entry) => entry.event)).toStrictEqual([eventA, eventB]);
  });

  it("drops an index entry whose list is empty, and only that one", async () => {
    const { keys, store } = fresh();
    const record = makeRecord({ lookupHash: null });
    const event = eventOf(record);
    await client.zincrby(keys.pendingClients(), 1, "client-without-events");
    await store.create(record, [event]);
    expect((await store.pendingEvents(10)).map((entry) => entry.event)).toStrictEqual([event]);
    expect(await client.zrange(keys.pendingClients(), "0", "-1")).toStrictEqual([record.clientId]);
  });
});
