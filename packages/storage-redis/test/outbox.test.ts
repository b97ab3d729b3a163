import { randomUUID } from "node:crypto";
import { FAILED_KEPT_PER_WEBHOOK, type OutboxEntry } from "@credkit/core";
import { outboxConformanceSuite } from "@credkit/storage-test-suite";
import type { Cluster, Redis } from "ioredis";
import { afterAll, expect, it } from "vitest";
import { redisEventOutbox } from "../src/index.js";
import { clusterClient, randomKeyPrefix, standaloneClient } from "./clients.js";
import { deleteKeys } from "./raw-keys.js";

const standalone = standaloneClient();
const cluster = clusterClient();
// A fresh prefix per outbox: the due set is shared by a whole prefix, so no test sees another's queues.
const used: [Redis | Cluster, string][] = [];
const fresh = (client: Redis | Cluster) => {
  const keyPrefix = randomKeyPrefix();
  used.push([client, keyPrefix]);
  return redisEventOutbox({ client, keyPrefix });
};
afterAll(async () => {
  for (const [client, keyPrefix] of used) await deleteKeys(client, keyPrefix);
  await standalone.quit();
  await cluster.quit();
});

outboxConformanceSuite("redis (standalone redis-server)", { makeOutbox: () => fresh(standalone) });
outboxConformanceSuite("redis (3-master cluster)", { makeOutbox: () => fresh(cluster) });

// The cap is 1,000: too many round trips for the suite on every backend, a few seconds on a local Redis.
it("keeps the newest FAILED_KEPT_PER_WEBHOOK failed entries of a webhook", async () => {
  const outbox = fresh(standalone);
  const clientId = `c-${randomUUID()}`;
  const entries = Array.from({ length: FAILED_KEPT_PER_WEBHOOK + 1 }, (_, i) => ({
    deliveryId: `dlv_${i}`,
    clientId,
    webhookId: "wh_1",
    queue: `wh_1/cred-${i}`,
    event: { id: `evt_${i}` },
    attempts: 0,
    nextAttemptAt: 0,
  })) as unknown as OutboxEntry[];
  await outbox.enqueue(entries);
  const claimed = await outbox.claim("o", 1_000, 60_000, entries.length);
  expect(claimed).toHaveLength(entries.length);
  const failedAt = new Date(1_000).toISOString();
  // A hundred at a time, in order on the one connection (a thousand at once would queue past the
  // client's command timeout on a busy machine): the last settled is the newest.
  for (let i = 0; i < entries.length; i += 100) {
    const batch = entries.slice(i, i + 100);
    await Promise.all(batch.map((e) => outbox.settle(e, "o", { outcome: "failed", error: "x", failedAt })));
  }
  const failed = await outbox.listFailed(clientId, "wh_1", entries.length);
  expect(failed).toHaveLength(FAILED_KEPT_PER_WEBHOOK);
  expect(failed[0]?.deliveryId).toBe(`dlv_${FAILED_KEPT_PER_WEBHOOK}`);
  expect(failed.at(-1)?.deliveryId).toBe("dlv_1");
}, 60_000);
