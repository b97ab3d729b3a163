import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type CredentialStore, CredkitError, isCredkitError, type RegionMap } from "@credkit/core";
import {
  createCredkitTable,
  dynamoDbStore,
  recommendedClientConfig,
  sharedStateClientConfig,
} from "@credkit/storage-dynamodb";
import { memoryStore } from "@credkit/storage-memory";
import {
  reconnectAfterFailover,
  redisClientOptions,
  redisClusterOptions,
  redisSentinelOptions,
  redisStore,
} from "@credkit/storage-redis";
import { Cluster, Redis } from "ioredis";
import type { Logger } from "pino";
import type { StorageConfig } from "./config-schema.js";
import { storeStartError } from "./store-check.js";
import { storeGroups } from "./store-groups.js";

/** The stores of a configuration, and how to close what was opened for them. */
export interface OpenedStores {
  regions: RegionMap;
  /** The first Redis client opened, for state every process must share (rate limits); null without Redis. */
  redis: Redis | Cluster | null;
  /** The key prefix of that Redis store (its other shared state lives under it), when set. */
  redisKeyPrefix: string | undefined;
  /**
   * The first DynamoDB table opened, with a client of its own for the shared state (idempotency keys,
   * rate limits) that does not retry (see `sharedStateClientConfig`); null without DynamoDB.
   */
  dynamodb: DynamoDbShared | null;
  close(): Promise<void>;
}

/** A DynamoDB table and the client the shared state reaches it with. */
export interface DynamoDbShared {
  client: DynamoDBClient;
  tableName: string;
}

/** One opened store and how to close what was opened for it. */
export interface Opened {
  store: CredentialStore;
  redis?: Redis | Cluster;
  redisKeyPrefix?: string;
  dynamodb?: DynamoDbShared;
  close(): Promise<void>;
}

/**
 * Builds one store per distinct storage description, so regions that share a backend share a store
 * (and a list asks it once). The server owns the clients it creates here and closes them on shutdown.
 */
export async function openStores(
  regions: Record<string, StorageConfig>,
  logger: Logger,
): Promise<OpenedStores> {
  const opened: Opened[] = [];
  const map: Record<string, CredentialStore> = {};
  try {
    for (const group of storeGroups(regions)) {
      const store = await openStore(group.storage, logger).catch((error: unknown) => {
        if (isCredkitError(error, "CONFIGURATION_ERROR")) throw error;
        throw storeStartError([{ group, error }]);
      });
      opened.push(store);
      for (const region of group.regions) map[region] = store.store;
    }
  } catch (error) {
    await Promise.allSettled(opened.map((o) => o.close()));
    throw error;
  }
  return {
    regions: map,
    redis: opened.find((o) => o.redis)?.redis ?? null,
    redisKeyPrefix: opened.find((o) => o.redis)?.redisKeyPrefix,
    dynamodb: opened.find((o) => o.dynamodb)?.dynamodb ?? null,
    async close() {
      await Promise.allSettled(opened.map((o) => o.close()));
    },
  };
}

type RedisStorage = Extract<StorageConfig, { storage: "redis" }>;

function hostPort(node: string): { host: string; port: number } {
  const at = node.lastIndexOf(":");
  return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
}

/** The ioredis client of a redis storage entry: Sentinel, Cluster or URL, with the recommended options. */
function redisClient(storage: RedisStorage): Redis | Cluster {
  if (storage.sentinels) {
    return new Redis({
      ...redisSentinelOptions(),
      sentinels: storage.sentinels.map(hostPort),
      name: storage.sentinelName as string,
      ...(storage.sentinelPassword ? { sentinelPassword: storage.sentinelPassword } : {}),
      ...(storage.password ? { password: storage.password } : {}),
    });
  }
  if (storage.clusterNodes) return new Cluster(storage.clusterNodes.map(hostPort), redisClusterOptions());
  return new Redis(storage.url as string, redisClientOptions());
}

/** Opens one store (and its client) as the server does; the caller closes it. */
export async function openStore(storage: StorageConfig, logger: Logger): Promise<Opened> {
  switch (storage.storage) {
    case "memory": {
      const store = memoryStore();
      return { store, close: () => store.close() };
    }
    case "redis": {
      const client = redisClient(storage);
      // A Sentinel client can end by itself when a failover is announced mid-reconnect: connect it again.
      const stopReconnecting = storage.sentinels ? reconnectAfterFailover(client as Redis) : () => {};
      // ioredis reports every failed reconnect; one line per state change is enough (and never the URL,
      // which may carry a password).
      let down = false;
      client.on("error", (error: Error & { code?: string }) => {
        if (!down) logger.warn({ store: "redis", code: error.code }, "redis unreachable; reconnecting");
        down = true;
      });
      client.on("ready", () => {
        if (down) logger.info({ store: "redis" }, "redis reachable again");
        down = false;
      });
      const store = redisStore({
        client,
        ...(storage.keyPrefix ? { keyPrefix: storage.keyPrefix } : {}),
        // A Sentinel set has replicas by definition: wait for one unless told otherwise. A URL or a
        // cluster may have none (WAIT would then refuse every write), so there it is opt-in.
        waitReplicas: storage.waitReplicas ?? (storage.sentinels ? 1 : 0),
        ...(storage.waitTimeoutMs ? { waitTimeoutMs: storage.waitTimeoutMs } : {}),
      });
      return {
        store,
        redis: client,
        ...(storage.keyPrefix ? { redisKeyPrefix: storage.keyPrefix } : {}),
        async close() {
          await store.close();
          stopReconnecting();
          client.disconnect();
        },
      };
    }
    case "dynamodb": {
      const where = {
        ...(storage.region ? { region: storage.region } : {}),
        ...(storage.endpoint ? { endpoint: storage.endpoint } : {}),
      };
      const client = new DynamoDBClient({ ...recommendedClientConfig, ...where });
      try {
        await client.config.region();
      } catch (cause) {
        client.destroy();
        throw new CredkitError(
          "CONFIGURATION_ERROR",
          `No AWS region for DynamoDB table "${storage.table}": set AWS_REGION (or "region" in the region map)`,
          { cause },
        );
      }
      if (storage.createTable) await createCredkitTable(client, storage.table);
      const store = dynamoDbStore({ client, tableName: storage.table });
      const sharedClient = new DynamoDBClient({ ...sharedStateClientConfig, ...where });
      return {
        store,
        dynamodb: { client: sharedClient, tableName: storage.table },
        async close() {
          await store.close();
          client.destroy();
          sharedClient.destroy();
        },
      };
    }
  }
}
