import { storeConformanceSuite } from "@credkit/storage-test-suite";
import { redisStore } from "../src/index.js";
import { clusterClient, randomKeyPrefix, unreachableStore } from "./clients.js";
import { deleteKeys, dumpKeys } from "./raw-keys.js";

const client = clusterClient();
const keyPrefix = randomKeyPrefix();

storeConformanceSuite("redis (3-master Redis Cluster)", {
  makeStore: () => redisStore({ client, keyPrefix }),
  makeStoreAt: (now) => redisStore({ client, keyPrefix, now }),
  makeSharedStoreAt: (now) => redisStore({ client, keyPrefix, now }),
  makeFailingStore: unreachableStore,
  readRaw: () => dumpKeys(client, keyPrefix),
  cleanup: async () => {
    await deleteKeys(client, keyPrefix);
    await client.quit();
  },
});
