import { randomUUID } from "node:crypto";
import { Cluster, Redis } from "ioredis";
import { inject } from "vitest";
import { type RedisStore, redisClientOptions, redisClusterOptions, redisStore } from "../src/index.js";

/** A client of the shared standalone server, with the recommended options. */
export function standaloneClient(): Redis {
  return new Redis(inject("redisUrl"), redisClientOptions());
}

/** A client of the shared 3-master cluster, with the recommended options. */
export function clusterClient(): Cluster {
  const nodes = inject("redisClusterNodes")
    .split(",")
    .map((node) => {
      const [host = "127.0.0.1", port = ""] = node.trim().split(":");
      return { host, port: Number(port) };
    });
  return new Cluster(nodes, redisClusterOptions());
}

/** A key prefix no other run or test file uses, so runs sharing a server never see each other's keys. */
export function randomKeyPrefix(): string {
  return `credkit-test:${randomUUID()}:`;
}

/**
 * A store whose Redis never answers: its client points at a closed port and gives up at once. Its
 * `close` also drops that client (the store never closes a client it was given).
 */
export function unreachableStore(): RedisStore {
  const client = new Redis("redis://127.0.0.1:9", {
    ...redisClientOptions(),
    connectTimeout: 200,
    commandTimeout: 200,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {}); // refused connections are the point here
  const store = redisStore({ client, keyPrefix: randomKeyPrefix(), timeoutMs: 1000 });
  return Object.assign(store, {
    close: async () => {
      client.disconnect();
    },
  });
}
