import { storeConformanceSuite } from "@credkit/storage-test-suite";
import { redisStore } from "../src/index.js";
import { randomKeyPrefix, standaloneClient, unreachableStore } from "./clients.js";
import { deleteKeys, dumpKeys } from "./raw-keys.js";

const client = standaloneClient();
const keyPrefix = randomKeyPrefix();

storeConformanceSuite("redis (standalone redis-server)", {
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
