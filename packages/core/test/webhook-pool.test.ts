import { randomUUID } from "node:crypto";
import {
  admin,
  type HoldingReceiver,
  memoryEventOutbox,
  outboxEntry,
  startHoldingReceiver,
  testKeyring,
} from "@credkit/test-support";
import { afterEach, describe, expect, it } from "vitest";
import {
  createAddressPolicy,
  createOutboundFetch,
  createWebhookDispatcher,
  createWebhookService,
  type EventOutbox,
  type OutboxEntry,
  type WebhookDispatcherOptions,
} from "../src/index.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A memory outbox, its webhook API, a holding receiver and a dispatcher factory (never started here). */
async function setup() {
  const outbox: EventOutbox = memoryEventOutbox();
  const keyring = testKeyring();
  const policy = createAddressPolicy(["127.0.0.1"]);
  const webhooks = createWebhookService({ outbox, keyring, policy });
  const receiver = await startHoldingReceiver();
  cleanups.push(() => receiver.stop());
  // The outbound timeout is far above every test's length: a held request ends only when released.
  const fetch = createOutboundFetch({ policy, timeoutMs: 120_000 });
  const dispatcher = (extra: Partial<WebhookDispatcherOptions> = {}) => {
    const made = createWebhookDispatcher({ outbox, keyring, fetch, pollMs: 20, ...extra });
    cleanups.push(async () => {
      receiver.release(true);
      await made.stop();
    });
    return made;
  };
  /** A client with one webhook at `path`, and `count` entries for it, each in its own queue. */
  const client = async (path: string, count: number) => {
    const clientId = `c-${randomUUID()}`;
    const { webhookId } = await webhooks.create(admin, clientId, {
      url: receiver.url(path),
      eventTypes: ["credential.created"],
    });
    const entries = Array.from({ length: count }, () => outboxEntry(clientId, webhookId));
    await outbox.enqueue(entries);
    return { clientId, webhookId, entries };
  };
  return { outbox, receiver, dispatcher, client };
}

/** Every entry arrived exactly once, answered, and the outbox has nothing left to claim, however late. */
async function expectEachDeliveredOnce(
  receiver: HoldingReceiver,
  outbox: EventOutbox,
  entries: OutboxEntry[],
) {
  const ids = receiver.arrivals.map((a) => a.webhookId).sort();
  expect(ids).toEqual(entries.map((e) => e.event.id).sort());
  expect(receiver.arrivals.every((a) => a.answered)).toBe(true);
  expect(await outbox.claim("probe", Date.now() + 3_600_000, 1000, 1000)).toEqual([]);
}

const arrivedAt = (receiver: HoldingReceiver, path: string) =>
  receiver.arrivals.filter((a) => a.path === path).length;

describe("webhook delivery pool", () => {
  it("a receiver that never answers holds one slot while other clients' entries are all delivered", async () => {
    const { outbox, receiver, dispatcher, client } = await setup();
    // Claimed first (the memory outbox claims in enqueue order): the tarpit takes a slot at once.
    const tarpit = await client("/tarpit", 1);
    const others = [await client("/ok", 10), await client("/ok", 10)];
    const pool = dispatcher({ batchSize: 4, perClientInFlight: 4 });
    pool.start();
    // Behind a pass barrier none of these could arrive before the tarpit answers.
    await receiver.until(() => arrivedAt(receiver, "/ok") === 20, "the other clients' 20 deliveries");
    expect(receiver.heldCount).toBe(1);
    expect(arrivedAt(receiver, "/tarpit")).toBe(1);
    receiver.release(true);
    await pool.stop();
    await expectEachDeliveredOnce(receiver, outbox, [...tarpit.entries, ...others.flatMap((o) => o.entries)]);
  });

  it("never has more than batchSize deliveries in flight, and starts the next one as each ends", async () => {
    const { outbox, receiver, dispatcher, client } = await setup();
    const entries = [
      ...(await client("/hold", 4)).entries,
      ...(await client("/hold", 4)).entries,
      ...(await client("/hold", 3)).entries,
    ];
    const pool = dispatcher({ batchSize: 3, perClientInFlight: 3 });
    pool.start();
    await receiver.until(() => receiver.heldCount === 3, "3 held requests");
    // A pass asked for while every slot is taken claims nothing.
    expect(await pool.runOnce()).toBe(0);
    pool.wake();
    for (let delivered = 0; delivered < entries.length; delivered++) {
      const expected = Math.min(entries.length, delivered + 3);
      await receiver.until(() => receiver.arrivals.length === expected, `${expected} arrivals`);
      receiver.release();
    }
    await pool.stop();
    expect(receiver.maxOpen).toBe(3);
    await expectEachDeliveredOnce(receiver, outbox, entries);
  });

  it("holds at most perClientInFlight slots for one client whose receivers hang; its waiting claims go out after", async () => {
    const { outbox, receiver, dispatcher, client } = await setup();
    const tarpit = await client("/tarpit", 6);
    const honest = await client("/ok", 12);
    const pool = dispatcher({ batchSize: 4, perClientInFlight: 2 });
    pool.start();
    await receiver.until(() => arrivedAt(receiver, "/ok") === 12, "the honest client's 12 deliveries");
    expect(receiver.heldCount).toBe(2);
    // Released one at a time: each ended tarpit delivery hands its slot to the client's next claim.
    for (let released = 0; released < 6; released++) {
      await receiver.until(() => receiver.heldCount >= 1, "a held tarpit request");
      expect(receiver.heldCount).toBeLessThanOrEqual(2);
      receiver.release();
    }
    await receiver.until(
      () => arrivedAt(receiver, "/tarpit") === 6 && receiver.heldCount === 0,
      "6 tarpit arrivals",
    );
    await pool.stop();
    await expectEachDeliveredOnce(receiver, outbox, [...tarpit.entries, ...honest.entries]);
  });

  it("stop() resolves only once the deliveries in flight are settled", async () => {
    const { outbox, receiver, dispatcher, client } = await setup();
    const { entries } = await client("/hold", 2);
    const pool = dispatcher({ batchSize: 2, perClientInFlight: 2 });
    pool.start();
    await receiver.until(() => receiver.heldCount === 2, "2 held requests");
    let stopped = false;
    const stopping = pool.stop().then(() => {
      stopped = true;
    });
    receiver.release();
    await receiver.until(() => receiver.open === 1, "the first answer to reach the dispatcher");
    expect(stopped).toBe(false);
    receiver.release();
    await stopping;
    await expectEachDeliveredOnce(receiver, outbox, entries);
  });

  it("runOnce() resolves with the number attempted once its own deliveries are settled, not another pass's", async () => {
    const { outbox, receiver, dispatcher, client } = await setup();
    const held = await client("/hold", 1);
    const pool = dispatcher({ batchSize: 4 });
    const first = pool.runOnce();
    await receiver.until(() => receiver.heldCount === 1, "the held request");
    const quick = await client("/ok", 3);
    // The second pass claims the three free slots and resolves while the first pass's delivery hangs.
    expect(await pool.runOnce()).toBe(3);
    expect(receiver.heldCount).toBe(1);
    receiver.release();
    expect(await first).toBe(1);
    await expectEachDeliveredOnce(receiver, outbox, [...held.entries, ...quick.entries]);
  });

  it("cuts an attempt at 90% of its lease (a timeout, settled while the lease holds) whatever the fetch's timeout", async () => {
    const { outbox, dispatcher, client } = await setup();
    const { entries } = await client("/hold", 1);
    const failures: string[] = [];
    const lost: OutboxEntry[] = [];
    const pool = dispatcher({
      leaseMs: 300,
      retry: { maxAttempts: 1 },
      onAttemptFailed: (_entry, error) => failures.push(error),
      onLeaseLost: (e) => lost.push(e),
    });
    expect(await pool.runOnce()).toBe(1);
    expect(failures).toEqual(["timeout"]);
    expect(lost).toEqual([]);
    const [failed] = await outbox.listFailed(
      entries[0]?.clientId as string,
      entries[0]?.webhookId as string,
      1,
    );
    expect([failed?.deliveryId, failed?.lastError]).toEqual([entries[0]?.deliveryId, "timeout"]);
  });

  it("leaves a claim that waited past half its lease for its client's slot to its lease, no attempt counted", async () => {
    const { outbox, receiver, dispatcher, client } = await setup();
    const { entries } = await client("/hold", 2);
    const pool = dispatcher({ leaseMs: 200, batchSize: 2, perClientInFlight: 1, retry: { maxAttempts: 5 } });
    // The first entry holds the client's one slot until it is cut at 180 ms; the second waited longer
    // than the 100 ms half-lease by then, so it is not attempted.
    expect(await pool.runOnce()).toBe(1);
    expect(receiver.arrivals).toHaveLength(1);
    const later = await outbox.claim("probe", Date.now() + 60_000, 1000, 10);
    expect(later.map((e) => [e.deliveryId, e.attempts]).sort()).toEqual(
      [
        [entries[0]?.deliveryId, 1],
        [entries[1]?.deliveryId, 0],
      ].sort(),
    );
  });

  it("reports a settle the lease no longer covers: another owner claimed the queue meanwhile", async () => {
    const { outbox, receiver, dispatcher, client } = await setup();
    const { entries } = await client("/hold", 1);
    const lost: OutboxEntry[] = [];
    const pool = dispatcher({ onLeaseLost: (e) => lost.push(e) });
    const run = pool.runOnce();
    await receiver.until(() => receiver.heldCount === 1, "the held request");
    // Another process, once the lease has lapsed, takes the queue over.
    const [taken] = await outbox.claim("other", Date.now() + 60_000, 30_000, 10);
    expect(taken?.deliveryId).toBe(entries[0]?.deliveryId);
    receiver.release();
    expect(await run).toBe(1);
    expect(lost.map((e) => e.deliveryId)).toEqual([entries[0]?.deliveryId]);
  });

  it("refuses slot counts that would deliver nothing or open without bound, naming the option", async () => {
    const { dispatcher } = await setup();
    for (const [options, path] of [
      [{ batchSize: 0 }, "batchSize"],
      [{ batchSize: 1.5 }, "batchSize"],
      [{ batchSize: 1001 }, "batchSize"],
      [{ batchSize: Number.NaN }, "batchSize"],
      [{ perClientInFlight: 0 }, "perClientInFlight"],
      [{ batchSize: 4, perClientInFlight: 5 }, "perClientInFlight"],
    ] as const) {
      expect(() => dispatcher(options)).toThrow(
        expect.objectContaining({ code: "VALIDATION_ERROR", errors: [expect.objectContaining({ path })] }),
      );
    }
    expect(() => dispatcher({ batchSize: 1000, perClientInFlight: 1000 })).not.toThrow();
    expect(() => dispatcher({ batchSize: 1 })).not.toThrow(); // perClientInFlight defaults to at least 1
  });
});
