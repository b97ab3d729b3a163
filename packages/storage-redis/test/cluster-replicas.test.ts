import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRecord } from "@credkit/storage-test-suite";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisClientOptions, redisClusterOptions, redisKeys, redisStore } from "../src/index.js";
import { randomKeyPrefix } from "./clients.js";
import { redisScript } from "./redis-script.js";

// A Redis Cluster whose 3 masters each have a replica. With one replica frozen (SIGSTOP), a store that
// waits for 1 replica must refuse the writes of a client whose slot that replica's master owns, and
// acknowledge those of a client on another master: WAIT reaches the node that owns the client's slot.
let stateDir: string;
let client: Cluster;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "credkit-cluster-replicas-"));
  const nodes = await redisScript("start-cluster-replicas", stateDir);
  client = new Cluster(
    nodes.split(",").map((node) => ({ host: "127.0.0.1", port: Number(node.split(":")[1]) })),
    redisClusterOptions(),
  );
}, 60_000);
afterAll(async () => {
  client?.disconnect();
  await redisScript("stop", stateDir).catch(() => "");
  await rm(stateDir, { recursive: true, force: true });
});

/** The port of the master that owns `clientId`'s slot. */
async function ownerPort(prefix: string, clientId: string): Promise<number> {
  const slot = Number(await client.cluster("KEYSLOT", redisKeys(prefix).ids(clientId)));
  const owner = client.slots[slot]?.[0];
  if (!owner) throw new Error(`no owner known for slot ${slot}`);
  return Number(owner.split(":")[1]);
}

/** The pid of the replica of the master on `masterPort` (asked of each node this test started). */
async function replicaPid(masterPort: number): Promise<number> {
  for (const dir of (await readdir(stateDir)).filter((d) => d.startsWith("node-"))) {
    const node = new Redis(Number(dir.slice("node-".length)), "127.0.0.1", redisClientOptions());
    try {
      const info = await node.info("replication");
      if (info.includes("role:slave") && info.includes(`master_port:${masterPort}\r\n`)) {
        return Number((await readFile(join(stateDir, dir, "redis.pid"), "utf8")).trim());
      }
    } finally {
      node.disconnect();
    }
  }
  throw new Error(`no replica of ${masterPort}`);
}

describe("waitReplicas on a Redis Cluster with replicas", () => {
  it("waits on the node owning the client's slot: its frozen replica refuses that client alone", async () => {
    await client.ping();
    const keyPrefix = randomKeyPrefix();
    const store = redisStore({ client, keyPrefix, waitReplicas: 1, waitTimeoutMs: 100 });
    const stalled = `c-${randomUUID()}`;
    const stalledMaster = await ownerPort(keyPrefix, stalled);
    let healthy = `c-${randomUUID()}`;
    while ((await ownerPort(keyPrefix, healthy)) === stalledMaster) healthy = `c-${randomUUID()}`;

    // Every master has a live replica: both writes are confirmed.
    const before = makeRecord({ clientId: stalled, temporary: false });
    await store.create(before);
    await store.create(makeRecord({ clientId: healthy, temporary: false }));

    const pid = await replicaPid(stalledMaster);
    process.kill(pid, "SIGSTOP");
    try {
      await expect(store.create(makeRecord({ clientId: stalled, temporary: false }))).rejects.toMatchObject({
        code: "STORAGE_UNAVAILABLE",
      });
      await expect(store.consume(stalled, before.credentialId)).rejects.toMatchObject({
        code: "STORAGE_UNAVAILABLE",
      });
      const other = makeRecord({ clientId: healthy, temporary: false });
      await store.create(other);
      expect(await store.consume(healthy, other.credentialId)).toMatchObject({
        credentialId: other.credentialId,
      });
    } finally {
      process.kill(pid, "SIGCONT");
    }
  });
});
