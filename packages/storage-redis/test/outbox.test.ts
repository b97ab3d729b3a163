import { outboxConformanceSuite } from "@credkit/storage-test-suite";
import type { Cluster, Redis } from "ioredis";
import { afterAll } from "vitest";
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
