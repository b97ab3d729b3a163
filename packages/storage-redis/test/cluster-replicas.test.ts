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
    // A live replica must confirm within the wait even on a loaded machine (100 ms failed once under
    // load); the frozen one costs the full wait per write, twice.
    const store = redisStore({ client, keyPrefix, waitReplicas: 1, waitTimeoutMs: 1000 });
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

/** The pid of the node on `port`, from the state directory of the cluster this file started. */
async function pidOf(port: number): Promise<number> {
  return Number((await readFile(join(stateDir, `node-${port}`, "redis.pid"), "utf8")).trim());
}

/** How many PINGs the node has run (`INFO commandstats`). */
async function pingsOf(node: Redis): Promise<number> {
  return Number(/cmdstat_ping:calls=(\d+)/.exec(await node.info("commandstats"))?.[1] ?? 0);
}

describe("ping on a Redis Cluster", () => {
  it("asks every master, so one that does not answer makes the store not ready", async () => {
    await client.ping();
    const store = redisStore({ client, keyPrefix: randomKeyPrefix(), timeoutMs: 300 });
    const masters = client.nodes("master");
    expect(masters).toHaveLength(3);
    // Each master runs one more PING per store ping (nothing else pings this file's cluster).
    const before = await Promise.all(masters.map(pingsOf));
    await store.ping();
    expect(await Promise.all(masters.map(pingsOf))).toEqual(before.map((count) => count + 1));

    // A frozen master (well under cluster-node-timeout, so no failover starts) fails the ping.
    const pid = await pidOf(Number(masters[2]?.options.port));
    process.kill(pid, "SIGSTOP");
    try {
      await expect(store.ping()).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await store.ping();
  });
});
