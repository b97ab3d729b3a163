// A plain Node service on @credkit/core and the Redis store: it does its work and exits by itself,
// because it closes the ioredis client it created (and listens to its `error` event, as required).
import assert from "node:assert/strict";
import { createCredentialService, createKeyring, decodeMasterKey, generateMasterKey } from "@credkit/core";
import { redisClientOptions, redisStore } from "@credkit/storage-redis";
import { Redis } from "ioredis";

const master = generateMasterKey(); // in production: your secret manager's CREDKIT_MASTER_KEY
const client = new Redis(process.argv[2] ?? "redis://127.0.0.1:6379", redisClientOptions());
client.on("error", (error) => console.warn("redis:", error.code ?? error.name));
try {
  const store = redisStore({ client, keyPrefix: `pack-${process.pid}:` });
  const service = createCredentialService({
    regions: { "eu-west-1": store },
    keyring: createKeyring({
      activeKeyId: master.id,
      keys: [{ id: master.id, key: decodeMasterKey(master.key) }],
    }),
  });
  const actor = { userId: "billing-job", clientIds: ["acme"] };
  const created = await service.create(actor, "acme", {
    credentialName: "stripe",
    credentialType: "target",
    authType: "bearer",
    region: "eu-west-1",
    secret: { token: "sk_test_123" },
  });
  const read = await service.get(actor, "acme", created.credentialId);
  assert.equal(read.credentialName, "stripe");
  assert.ok(!JSON.stringify(read).includes("sk_test_123"));
  await service.delete(actor, "acme", created.credentialId);
  await store.close();
  console.log("redis service: create, get, delete on a real redis-server: ok");
} finally {
  await client.quit();
}
