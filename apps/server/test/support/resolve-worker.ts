// One "process" of the two-process token test: its own ioredis client and Redis store over the shared
// server, its own service (own single flight), resolving one credential COUNT times at once after the
// parent writes "go" on stdin. Prints `ready`, then one JSON line with what each resolution returned.
import { createInterface } from "node:readline";
import {
  createAddressPolicy,
  createCredentialService,
  createKeyring,
  createOutboundFetch,
  decodeMasterKey,
  systemActor,
} from "@credkit/core";
import { redisClientOptions, redisStore } from "@credkit/storage-redis";
import { Redis } from "ioredis";

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`resolve-worker needs ${name}`);
  return value;
};

const client = new Redis(env("WORKER_REDIS_URL"), redisClientOptions());
const store = redisStore({ client, keyPrefix: env("WORKER_KEY_PREFIX") });
const service = createCredentialService({
  regions: { "eu-west-1": store },
  keyring: createKeyring({
    activeKeyId: "k1",
    keys: [{ id: "k1", key: decodeMasterKey(env("WORKER_MASTER_KEY")) }],
  }),
  outboundFetch: createOutboundFetch({ policy: createAddressPolicy(["127.0.0.1"]) }),
});
await store.ping();
process.stdout.write("ready\n");

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() !== "go") continue;
  const results = await Promise.allSettled(
    Array.from({ length: Number(env("WORKER_COUNT")) }, () =>
      service.resolveTargetAuth(systemActor(), env("WORKER_CLIENT_ID"), env("WORKER_CREDENTIAL_ID")),
    ),
  );
  const answers = results.map((r) =>
    r.status === "fulfilled" ? { auth: r.value.headers.Authorization ?? "" } : { error: String(r.reason) },
  );
  process.stdout.write(`${JSON.stringify(answers)}\n`);
  break;
}
lines.close();
await store.close();
client.disconnect();
