import { randomUUID } from "node:crypto";
import type { AnyCredkitEvent, EventOutbox, OutboxEntry, StoredWebhook } from "@credkit/core";
import { describe, expect, it } from "vitest";

/** Options of {@link outboxConformanceSuite}. */
export interface OutboxConformanceOptions {
  /** A fresh, empty outbox (isolated by key prefix): each test makes its own. */
  makeOutbox: () => EventOutbox | Promise<EventOutbox>;
}

function webhook(clientId: string, extra: Partial<StoredWebhook> = {}): StoredWebhook {
  return {
    clientId,
    webhookId: `wh_${randomUUID()}`,
    url: "https://receiver.example/hook",
    eventTypes: ["credential.created"],
    secret: "ck1.sealed",
    userId: "alice",
    createdAt: new Date().toISOString(),
    ...extra,
  };
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

/**
 * The contract every `EventOutbox` must keep (webhook registry, queues in order, leases, settlement),
 * run by each adapter against its real backend.
 */
export function outboxConformanceSuite(name: string, options: OutboxConformanceOptions): void {
  describe(`${name} event outbox`, () => {
    it("keeps webhooks per client; a second save of one id is CONFLICT; delete says whether it existed", async () => {
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      const first = webhook(clientId);
      const second = webhook(clientId, { eventTypes: ["credential.deleted", "oauth.refresh_failed"] });
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

    it("lists every client's webhooks, and replaces a sealed secret only while it is the expected one", async () => {
      const outbox = await options.makeOutbox();
      const [a, b] = [`c-${randomUUID()}`, `c-${randomUUID()}`];
      const mine = [webhook(a), webhook(a), webhook(b)];
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
      const outbox = await options.makeOutbox();
      const clientId = `c-${randomUUID()}`;
      const [first, second] = [1, 2].map((n) => entry(clientId, "wh_1", "cred-a", n)) as [
        OutboxEntry,
        OutboxEntry,
      ];
      await outbox.enqueue([first, second]);
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
