import { randomUUID } from "node:crypto";
import {
  type AnyCredkitEvent,
  type EventOutbox,
  MAX_ENTRIES_PER_QUEUE,
  MAX_WEBHOOKS_PER_CLIENT,
  type OutboxEntry,
  QUEUE_FULL,
  type StoredWebhook,
} from "@credkit/core";
import { describe, expect, it } from "vitest";
import { makeWebhook } from "./fixtures.js";

/** Options of {@link outboxConformanceSuite}. */
export interface OutboxConformanceOptions {
  /** A fresh, empty outbox (isolated by key prefix): each test makes its own. */
  makeOutbox: () => EventOutbox | Promise<EventOutbox>;
}

function entry(clientId: string, webhookId: string, credentialId: string, n: number): OutboxEntry {
  const event = {
    id: `evt_${randomUUID()}`,
    type: "credential.updated",
    timestamp: new Date().toISOString(),
    data: {
      clientId,
      credentialId,
      credentialName: `v${n}`,
      credentialType: "proxy",
      credentialAuthType: "apiKey",
      credentialRegion: "eu-west-1",
      credentialVersion: n,
      credentialExpiresAt: null,
    },
  } as AnyCredkitEvent;
  return {
    deliveryId: `dlv_${randomUUID()}`,
    clientId,
    webhookId,
    queue: `${webhookId}/${credentialId}`,
    event,
    attempts: 0,
    nextAttemptAt: 0,
  };
}

/** Two entries enqueued in one queue of a fresh client, first before second. */
async function twoInOneQueue(outbox: EventOutbox) {
  const clientId = `c-${randomUUID()}`;
  const [first, second] = [1, 2].map((n) => entry(clientId, "wh_1", "cred-a", n)) as [
    OutboxEntry,
    OutboxEntry,
  ];
  await outbox.enqueue([first, second]);
  return { outbox, clientId, first, second };
}

/**
 * The contract every `EventOutbox` must keep (webhook registry, queues in order, leases, settlement),
 * run by each adapter against its real backend.
 */
export function outboxConformanceSuite(name: string, options: OutboxConformanceOptions): void {
  describe(`${name} event outbox`, () => {
    it("keeps webhooks per client; a second save of one id is CONFLICT; delete says whether it existed", async () => {
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      const first = makeWebhook(clientId);
      const second = makeWebhook(clientId, { eventTypes: ["credential.deleted", "oauth.refresh_failed"] });
      await outbox.saveWebhook(first);
      await outbox.saveWebhook(second);
      await expect(outbox.saveWebhook(first)).rejects.toMatchObject({ code: "CONFLICT" });
      expect((await outbox.listWebhooks(clientId)).map((w) => w.webhookId).sort()).toEqual(
        [first.webhookId, second.webhookId].sort(),
      );
      expect(await outbox.getWebhook(clientId, second.webhookId)).toEqual(second);
      expect(await outbox.getWebhook(`other-${clientId}`, second.webhookId)).toBeNull();
      expect(await outbox.listWebhooks(`other-${clientId}`)).toEqual([]);
      expect(await outbox.deleteWebhook(clientId, first.webhookId)).toBe(true);
      expect(await outbox.deleteWebhook(clientId, first.webhookId)).toBe(false);
      expect((await outbox.listWebhooks(clientId)).map((w) => w.webhookId)).toEqual([second.webhookId]);
    });

    it("saves at most MAX_WEBHOOKS_PER_CLIENT webhooks a client, however many saves race; a delete frees a place", async () => {
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      const other = `c-${randomUUID()}`;
      await outbox.saveWebhook(makeWebhook(other));
      const racing = Array.from({ length: MAX_WEBHOOKS_PER_CLIENT + 5 }, () => makeWebhook(clientId));
      const results = await Promise.allSettled(racing.map((hook) => outbox.saveWebhook(hook)));
      const refused = results.filter((r) => r.status === "rejected").map((r) => r.reason);
      expect(refused).toHaveLength(5);
      for (const reason of refused) {
        expect(reason).toMatchObject({
          code: "CONFLICT",
          message: expect.stringContaining(`${MAX_WEBHOOKS_PER_CLIENT} webhooks`),
        });
      }
      const saved = await outbox.listWebhooks(clientId);
      expect(saved).toHaveLength(MAX_WEBHOOKS_PER_CLIENT);
      await expect(outbox.saveWebhook(makeWebhook(clientId))).rejects.toMatchObject({ code: "CONFLICT" });
      // Another client's bound is its own.
      expect(await outbox.listWebhooks(other)).toHaveLength(1);
      await outbox.saveWebhook(makeWebhook(other));
      expect(await outbox.deleteWebhook(clientId, (saved[0] as StoredWebhook).webhookId)).toBe(true);
      expect(await outbox.deleteWebhook(clientId, (saved[0] as StoredWebhook).webhookId)).toBe(false);
      await outbox.saveWebhook(makeWebhook(clientId));
      expect(await outbox.listWebhooks(clientId)).toHaveLength(MAX_WEBHOOKS_PER_CLIENT);
      expect((await outbox.listAllWebhooks()).filter((w) => w.clientId === clientId)).toHaveLength(
        MAX_WEBHOOKS_PER_CLIENT,
      );
    });

    it("lists a client's webhooks oldest first, whatever their ids", async () => {
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      // Saved in the order they were created, with ids that sort the other way.
      const hooks = ["wh_c", "wh_b", "wh_a"].map((webhookId, i) =>
        makeWebhook(clientId, { webhookId, createdAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString() }),
      );
      for (const hook of hooks) await outbox.saveWebhook(hook);
      expect((await outbox.listWebhooks(clientId)).map((w) => w.webhookId)).toEqual(["wh_c", "wh_b", "wh_a"]);
    });

    it("lists every client's webhooks, and replaces a sealed secret only while it is the expected one", async () => {
      const outbox = await options.makeOutbox();
      const [a, b] = [`c-${randomUUID()}`, `c-${randomUUID()}`];
      const mine = [makeWebhook(a), makeWebhook(a), makeWebhook(b)];
      for (const w of mine) await outbox.saveWebhook(w);
      const ids = (await outbox.listAllWebhooks()).map((w) => w.webhookId);
      expect(ids).toEqual(expect.arrayContaining(mine.map((w) => w.webhookId)));
      const [first] = mine as [StoredWebhook];
      expect(await outbox.replaceWebhookSecret(a, first.webhookId, "ck1.other", "ck1.new")).toBe(false);
      expect((await outbox.getWebhook(a, first.webhookId))?.secret).toBe(first.secret);
      expect(await outbox.replaceWebhookSecret(a, first.webhookId, first.secret, "ck1.new")).toBe(true);
      expect(await outbox.getWebhook(a, first.webhookId)).toEqual({ ...first, secret: "ck1.new" });
      expect(await outbox.replaceWebhookSecret(a, first.webhookId, first.secret, "ck1.newer")).toBe(false);
      expect(await outbox.replaceWebhookSecret(b, first.webhookId, "ck1.new", "ck1.newer")).toBe(false);
      await outbox.deleteWebhook(a, first.webhookId);
      expect(await outbox.replaceWebhookSecret(a, first.webhookId, "ck1.new", "ck1.newer")).toBe(false);
      expect((await outbox.listAllWebhooks()).map((w) => w.webhookId)).not.toContain(first.webhookId);
    });

    it("replaces a secret once when replacements from the same expected secret race", async () => {
      const outbox = await options.makeOutbox();
      const hook = makeWebhook(`c-${randomUUID()}`);
      await outbox.saveWebhook(hook);
      const secrets = ["ck1.one", "ck1.two", "ck1.three"];
      const replaced = await Promise.all(
        secrets.map((secret) =>
          outbox.replaceWebhookSecret(hook.clientId, hook.webhookId, hook.secret, secret),
        ),
      );
      expect(replaced.filter(Boolean)).toHaveLength(1);
      const winner = secrets[replaced.indexOf(true)];
      expect((await outbox.getWebhook(hook.clientId, hook.webhookId))?.secret).toBe(winner);
    });

    it("hands out one queue's entries one at a time, in order; other queues in parallel", async () => {
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      const a = [1, 2, 3].map((n) => entry(clientId, "wh_1", "cred-a", n));
      const b = [1, 2].map((n) => entry(clientId, "wh_1", "cred-b", n));
      await outbox.enqueue([a[0], b[0], a[1]] as OutboxEntry[]);
      await outbox.enqueue([a[2], b[1]] as OutboxEntry[]);
      const order: string[] = [];
      let now = 1_000;
      for (let round = 0; round < 10; round++) {
        const claimed = await outbox.claim("owner-1", now, 30_000, 10);
        if (claimed.length === 0) break;
        expect(new Set(claimed.map((e) => e.queue)).size).toBe(claimed.length);
        for (const got of claimed) {
          order.push(got.deliveryId);
          expect(await outbox.settle(got, "owner-1", { outcome: "delivered" })).toBe(true);
        }
        now += 1;
      }
      const sequence = (list: OutboxEntry[]) => order.filter((id) => list.some((e) => e.deliveryId === id));
      expect(sequence(a)).toEqual(a.map((e) => e.deliveryId));
      expect(sequence(b)).toEqual(b.map((e) => e.deliveryId));
      expect(await outbox.claim("owner-1", now + 10_000_000, 30_000, 10)).toEqual([]);
    });

    it("leases a claimed queue: no other owner gets it until the lease lapses, then the late owner cannot settle", async () => {
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      const one = entry(clientId, "wh_1", "cred-a", 1);
      await outbox.enqueue([one]);
      const [claimed] = await outbox.claim("owner-1", 1_000, 5_000, 10);
      expect(claimed?.deliveryId).toBe(one.deliveryId);
      expect(await outbox.claim("owner-2", 1_001, 5_000, 10)).toEqual([]);
      const [taken] = await outbox.claim("owner-2", 7_000, 5_000, 10);
      expect(taken?.deliveryId).toBe(one.deliveryId);
      expect(await outbox.settle(claimed as OutboxEntry, "owner-1", { outcome: "delivered" })).toBe(false);
      expect(await outbox.settle(taken as OutboxEntry, "owner-2", { outcome: "delivered" })).toBe(true);
      expect(await outbox.claim("owner-1", 100_000, 5_000, 10)).toEqual([]);
    });

    it("keeps a retried head first until it is due, counting attempts; failed entries are listed, newest first", async () => {
      const { outbox, clientId, first, second } = await twoInOneQueue(await options.makeOutbox());
      const [claimed] = await outbox.claim("o", 1_000, 5_000, 10);
      expect(
        await outbox.settle(claimed as OutboxEntry, "o", {
          outcome: "retry",
          nextAttemptAt: 9_000,
          error: "http_500",
        }),
      ).toBe(true);
      expect(await outbox.claim("o", 8_999, 5_000, 10)).toEqual([]);
      const [again] = await outbox.claim("o", 9_000, 5_000, 10);
      expect(again).toMatchObject({ deliveryId: first.deliveryId, attempts: 1, lastError: "http_500" });
      const failedAt = new Date(9_000).toISOString();
      expect(
        await outbox.settle(again as OutboxEntry, "o", { outcome: "failed", error: "timeout", failedAt }),
      ).toBe(true);
      const [next] = await outbox.claim("o", 9_001, 5_000, 10);
      expect(next?.deliveryId).toBe(second.deliveryId);
      expect(
        await outbox.settle(next as OutboxEntry, "o", { outcome: "failed", error: "http_410", failedAt }),
      ).toBe(true);
      const failed = await outbox.listFailed(clientId, "wh_1", 10);
      expect(failed.map((e) => [e.deliveryId, e.attempts, e.lastError])).toEqual([
        [second.deliveryId, 1, "http_410"],
        [first.deliveryId, 2, "timeout"],
      ]);
      expect(failed[0]?.event).toEqual(second.event);
      expect(await outbox.listFailed(clientId, "wh_1", 1)).toHaveLength(1);
      expect(await outbox.listFailed(clientId, "wh_other", 10)).toEqual([]);
    });

    it("settles only the head its owner claimed: never an unclaimed entry, never a head settled before", async () => {
      const { outbox, clientId, first, second } = await twoInOneQueue(await options.makeOutbox());
      // Never claimed: no lease to hold.
      expect(await outbox.settle(first, "o", { outcome: "delivered" })).toBe(false);
      const [retried] = await outbox.claim("o", 1_000, 5_000, 10);
      const retry = { outcome: "retry", nextAttemptAt: 1_000, error: "http_503" } as const;
      expect(await outbox.settle(retried as OutboxEntry, "o", retry)).toBe(true);
      // A settled claim is spent: the retried head must be claimed again before it is settled again.
      expect(await outbox.settle(retried as OutboxEntry, "o", { outcome: "delivered" })).toBe(false);
      const [claimed] = await outbox.claim("o", 1_000, 5_000, 10);
      expect(claimed?.deliveryId).toBe(first.deliveryId);
      expect(await outbox.settle(claimed as OutboxEntry, "o", { outcome: "delivered" })).toBe(true);
      const [next] = await outbox.claim("o", 1_001, 5_000, 10);
      expect(next?.deliveryId).toBe(second.deliveryId);
      // The same owner holds the queue again, but the first entry is no longer its head.
      expect(await outbox.settle(claimed as OutboxEntry, "o", { outcome: "delivered" })).toBe(false);
      expect(await outbox.settle(next as OutboxEntry, "o", { outcome: "delivered" })).toBe(true);
      expect(await outbox.claim("o", 100_000, 5_000, 10)).toEqual([]);
      // Delivered entries are not failures.
      expect(await outbox.listFailed(clientId, "wh_1", 10)).toEqual([]);
    });

    it("claims at most `limit` queues, and an entry added behind a retried head does not make it due sooner", async () => {
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      const heads = [1, 2, 3].map((n) => entry(clientId, "wh_1", `cred-${n}`, 1));
      await outbox.enqueue(heads);
      const claimed = await outbox.claim("o", 1_000, 5_000, 2);
      expect(claimed).toHaveLength(2);
      const [retried] = claimed as [OutboxEntry];
      await outbox.settle(retried, "o", { outcome: "retry", nextAttemptAt: 50_000, error: "http_503" });
      await outbox.enqueue([{ ...entry(clientId, "wh_1", "x", 2), queue: retried.queue, nextAttemptAt: 0 }]);
      // The other two queues are leased until 6,000; the retried one waits for 50,000 whatever came behind it.
      expect(await outbox.claim("o", 6_000, 5_000, 10)).toHaveLength(2);
      expect((await outbox.claim("o", 49_999, 5_000, 10)).map((e) => e.queue)).not.toContain(retried.queue);
      expect((await outbox.claim("o", 50_000, 5_000, 10)).map((e) => e.deliveryId)).toContain(
        retried.deliveryId,
      );
    });

    it("forgets a deleted webhook's failed entries; unknown clients have no webhook to replace or delete", async () => {
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      const hook = makeWebhook(clientId);
      await outbox.saveWebhook(hook);
      await outbox.enqueue([entry(clientId, hook.webhookId, "cred-a", 1)]);
      const [claimed] = await outbox.claim("o", 1_000, 5_000, 10);
      const failedAt = new Date(1_000).toISOString();
      await outbox.settle(claimed as OutboxEntry, "o", { outcome: "failed", error: "http_410", failedAt });
      expect(await outbox.listFailed(clientId, hook.webhookId, 10)).toHaveLength(1);
      expect(await outbox.deleteWebhook(clientId, hook.webhookId)).toBe(true);
      expect(await outbox.listFailed(clientId, hook.webhookId, 10)).toEqual([]);
      const stranger = `other-${clientId}`;
      expect(await outbox.replaceWebhookSecret(stranger, hook.webhookId, hook.secret, "ck1.new")).toBe(false);
      expect(await outbox.deleteWebhook(stranger, hook.webhookId)).toBe(false);
    });

    it("fills a claim's `limit` with due queues only: leased ones never take their places", async () => {
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      // Named to come first in any order by name: a store that picked before it filtered would stop at them.
      await outbox.enqueue([1, 2, 3].map((n) => entry(clientId, "wh_1", `a-cred-${n}`, 1)));
      expect(await outbox.claim("o", 1_000, 5_000, 3)).toHaveLength(3);
      const due = entry(clientId, "wh_1", "z-cred", 1);
      await outbox.enqueue([due]);
      expect((await outbox.claim("o", 2_000, 5_000, 1)).map((e) => e.deliveryId)).toEqual([due.deliveryId]);
    });

    it("holds at most MAX_ENTRIES_PER_QUEUE entries a queue: each one past it is failed at once (queue_full), other queues unaffected", async () => {
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      const fill = (credentialId: string, count: number) =>
        Array.from({ length: count }, (_, n) => entry(clientId, "wh_1", credentialId, n));
      const full = fill("cred-full", MAX_ENTRIES_PER_QUEUE - 1);
      await outbox.enqueue(full);
      // One enqueue: the last place of the full queue, one entry past it, and another queue's entry.
      const [last, over] = fill("cred-full", 2) as [OutboxEntry, OutboxEntry];
      const other = entry(clientId, "wh_1", "cred-other", 1);
      await outbox.enqueue([last, over, other]);
      const later = entry(clientId, "wh_1", "cred-full", 1);
      await outbox.enqueue([later]);
      // More than a queue holds in a single enqueue: the entries past the bound fail.
      const burst = fill("cred-burst", MAX_ENTRIES_PER_QUEUE + 2);
      await outbox.enqueue(burst);

      const failed = await outbox.listFailed(clientId, "wh_1", 10);
      expect(failed.map((e) => e.deliveryId).sort()).toEqual(
        [over, later, ...burst.slice(MAX_ENTRIES_PER_QUEUE)].map((e) => e.deliveryId).sort(),
      );
      for (const given of failed) {
        expect(given).toMatchObject({ attempts: 0, lastError: QUEUE_FULL });
        expect(Date.parse(given.failedAt ?? "")).not.toBeNaN();
      }
      expect(failed.find((e) => e.deliveryId === over.deliveryId)?.event).toEqual(over.event);
      const heads = await outbox.claim("o", 1_000, 5_000, 10);
      expect(heads.map((e) => e.deliveryId).sort()).toEqual(
        [full[0], other, burst[0]].map((e) => e?.deliveryId).sort(),
      );
      // A place freed at the head takes the next entry again.
      const head = heads.find((e) => e.queue === last.queue) as OutboxEntry;
      expect(await outbox.settle(head, "o", { outcome: "delivered" })).toBe(true);
      const taken = entry(clientId, "wh_1", "cred-full", 2);
      await outbox.enqueue([taken]);
      expect((await outbox.listFailed(clientId, "wh_1", 10)).map((e) => e.deliveryId)).not.toContain(
        taken.deliveryId,
      );
    });

    it("gives a queue's last place to one of two enqueues racing for it; the other entry is failed", async () => {
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      const fill = Array.from({ length: MAX_ENTRIES_PER_QUEUE - 1 }, (_, n) =>
        entry(clientId, "wh_1", "cred", n),
      );
      await outbox.enqueue(fill);
      const racers = [1, 2].map((n) => entry(clientId, "wh_1", "cred", n));
      await Promise.all(racers.map((racer) => outbox.enqueue([racer])));
      const failed = await outbox.listFailed(clientId, "wh_1", 10);
      expect(failed).toHaveLength(1);
      expect(racers.map((r) => r.deliveryId)).toContain(failed[0]?.deliveryId);
    });

    it("gives each due head to exactly one of many owners claiming at once", async () => {
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      const entries = Array.from({ length: 20 }, (_, i) => entry(clientId, "wh_1", `cred-${i}`, 1));
      await outbox.enqueue(entries);
      const claims = await Promise.all(
        Array.from({ length: 5 }, (_, i) => outbox.claim(`owner-${i}`, 1_000, 30_000, 20)),
      );
      const ids = claims.flat().map((e) => e.deliveryId);
      expect(ids.sort()).toEqual(entries.map((e) => e.deliveryId).sort());
    });
  });
}
