// The delivery pool against the Redis outbox, shared by two dispatchers as by two processes:
// packages/core/test/webhook-pool.test.ts pins the pool's rules on the memory outbox.
import { randomUUID } from "node:crypto";
import {
  createAddressPolicy,
  createOutboundFetch,
  createWebhookDispatcher,
  createWebhookService,
  type WebhookDispatcher,
} from "@credkit/core";
import { redisEventOutbox } from "@credkit/storage-redis";
import { admin, outboxEntry, startHoldingReceiver, testKeyring } from "@credkit/test-support";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRedis } from "./support/real-servers.js";

let redis: Awaited<ReturnType<typeof startRedis>>;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
}, 60_000);
afterAll(async () => {
  await client?.quit();
  await redis?.stop();
});

it("two dispatchers on one Redis outbox: a hanging client holds its own slots only, each entry goes out once", async () => {
  const outbox = redisEventOutbox({ client, keyPrefix: `pool-${randomUUID()}:` });
  const keyring = testKeyring();
  const policy = createAddressPolicy(["127.0.0.1"]);
  const webhooks = createWebhookService({ outbox, keyring, policy });
  const receiver = await startHoldingReceiver();
  const dispatchers: WebhookDispatcher[] = [];
  try {
    const entries = [];
    for (const [path, count] of [
      ["/tarpit", 6],
      ["/ok", 10],
      ["/ok", 10],
    ] as const) {
      const clientId = `c-${randomUUID()}`;
      const { webhookId } = await webhooks.create(admin, clientId, {
        url: receiver.url(path),
        eventTypes: ["credential.created"],
      });
      // The tarpit's entries are due first (the Redis outbox claims by due time): they take their
      // slots before the other clients' entries are claimed.
      const mine = Array.from({ length: count }, () => ({
        ...outboxEntry(clientId, webhookId),
        nextAttemptAt: path === "/tarpit" ? 0 : 1,
      }));
      await outbox.enqueue(mine);
      entries.push(...mine);
    }
    for (let i = 0; i < 2; i++) {
      const dispatcher = createWebhookDispatcher({
        outbox,
        keyring,
        // Far above the test: a held request ends only when the test releases it.
        fetch: createOutboundFetch({ policy, timeoutMs: 120_000 }),
        pollMs: 20,
        batchSize: 4,
        perClientInFlight: 2,
      });
      dispatchers.push(dispatcher);
      dispatcher.start();
    }
    const arrived = (path: string) => receiver.arrivals.filter((a) => a.path === path).length;
    await receiver.until(() => arrived("/ok") === 20, "the other clients' 20 deliveries");
    // Every tarpit head was claimed before any other (due first), so at least one dispatcher holds
    // two; neither holds more than two: the tarpit's other queues wait meanwhile.
    expect(receiver.heldCount).toBeGreaterThanOrEqual(2);
    expect(receiver.heldCount).toBeLessThanOrEqual(4);
    while (arrived("/tarpit") < 6 || receiver.heldCount > 0) {
      await receiver.until(() => receiver.heldCount > 0, "a held tarpit request");
      expect(receiver.heldCount).toBeLessThanOrEqual(4);
      receiver.release(true);
    }
    await Promise.all(dispatchers.map((d) => d.stop()));
    expect(receiver.arrivals.map((a) => a.webhookId).sort()).toEqual(entries.map((e) => e.event.id).sort());
    expect(await outbox.claim("probe", Date.now() + 3_600_000, 1000, 1000)).toEqual([]);
  } finally {
    receiver.release(true);
    await Promise.all(dispatchers.map((d) => d.stop()));
    await receiver.stop();
  }
});
