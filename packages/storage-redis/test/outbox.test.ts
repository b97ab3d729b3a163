import { randomUUID } from "node:crypto";
import { FAILED_KEPT_PER_WEBHOOK, type OutboxEntry, type StoredWebhook } from "@credkit/core";
import { makeWebhook, outboxConformanceSuite } from "@credkit/storage-test-suite";
import { type Cluster, Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
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

describe("redis event outbox, beyond the suite", () => {
  const hook = (clientId: string, webhookId: string, createdAt: string): StoredWebhook =>
    makeWebhook(clientId, { webhookId, createdAt });

  it("refuses a key prefix holding a brace, either one, naming it a configuration error", () => {
    for (const keyPrefix of ["a{b:", "a}b:"]) {
      expect(() => redisEventOutbox({ client: standalone, keyPrefix })).toThrow(
        expect.objectContaining({ code: "CONFIGURATION_ERROR" }),
      );
    }
    expect(fresh(standalone).name).toBe("redis");
  });

  it("lists a client's webhooks oldest first, then by id, whatever order they were saved in", async () => {
    const outbox = fresh(standalone);
    const clientId = `c-${randomUUID()}`;
    const saved = [
      hook(clientId, "wh_b", "2026-01-02T00:00:00.000Z"),
      hook(clientId, "wh_c", "2026-01-01T00:00:00.000Z"),
      hook(clientId, "wh_a", "2026-01-02T00:00:00.000Z"),
    ];
    for (const webhook of saved) await outbox.saveWebhook(webhook);
    expect((await outbox.listWebhooks(clientId)).map((w) => w.webhookId)).toStrictEqual([
      "wh_c",
      "wh_a",
      "wh_b",
    ]);
    // Under a fresh prefix, every webhook of every client is exactly what was saved.
    const other = hook(`c-${randomUUID()}`, "wh_d", "2026-01-03T00:00:00.000Z");
    await outbox.saveWebhook(other);
    const all = await outbox.listAllWebhooks();
    expect(all.map((w) => w.webhookId).sort()).toStrictEqual(["wh_a", "wh_b", "wh_c", "wh_d"]);
    expect(all.find((w) => w.webhookId === "wh_d")).toStrictEqual(other);
  });

  it("keeps a failed entry as it was, attempt counted, error and time added; deleting no webhook keeps them", async () => {
    const outbox = fresh(standalone);
    const clientId = `c-${randomUUID()}`;
    const entry = {
      deliveryId: "dlv_1",
      clientId,
      webhookId: "wh_gone",
      queue: "wh_gone/cred-1",
      event: { id: "evt_1" },
      attempts: 2,
      nextAttemptAt: 0,
    } as unknown as OutboxEntry;
    await outbox.enqueue([entry]);
    const [claimed] = await outbox.claim("o", 1_000, 60_000, 1);
    const failedAt = new Date(1_000).toISOString();
    await outbox.settle(claimed as OutboxEntry, "o", { outcome: "failed", error: "http_410", failedAt });
    const failed = [{ ...entry, attempts: 3, lastError: "http_410", failedAt }];
    expect(await outbox.listFailed(clientId, "wh_gone", 10)).toStrictEqual(failed);
    // No such webhook: nothing deleted, its failed entries (an operator's record) stay.
    expect(await outbox.deleteWebhook(clientId, "wh_gone")).toBe(false);
    expect(await outbox.listFailed(clientId, "wh_gone", 10)).toStrictEqual(failed);
  });

  it("sends nothing to enqueue no entry, and names the outbox when Redis fails", async () => {
    let scripts = 0;
    const counting = new Proxy(standalone, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "evalsha" || prop === "eval") scripts++;
        return value.bind(target);
      },
    });
    await redisEventOutbox({ client: counting, keyPrefix: randomKeyPrefix() }).enqueue([]);
    expect(scripts).toBe(0);
    const down = new Redis("redis://127.0.0.1:9", {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on("error", () => {}); // the refused connection is the point
    const error = await redisEventOutbox({ client: down, keyPrefix: randomKeyPrefix() })
      .listWebhooks("c")
      .catch((e: unknown) => e);
    down.disconnect();
    expect(error).toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    expect((error as Error).message).toContain("redis outbox");
  });
});
