import type { Cluster } from "ioredis";
import { describe, expect, it, vi } from "vitest";
import { redisStore } from "../../src/index.js";

// What the store asks of a Cluster client for `ping`, on a stand-in that records it: cluster-replicas.test.ts
// shows the same on a real cluster (each master's PING count, a frozen master failing it), but that file
// is too slow for the mutation group that runs these.
function clusterClient(masters: { ping: () => Promise<string> }[]) {
  const nodes = vi.fn((_role: string) => masters);
  const ping = vi.fn(async () => "PONG");
  return { client: { isCluster: true, nodes, ping } as unknown as Cluster, nodes, ping };
}

describe("redis store ping on a Cluster client", () => {
  it("asks every master, not whichever node the client's own PING reaches", async () => {
    const masters = [{ ping: vi.fn(async () => "PONG") }, { ping: vi.fn(async () => "PONG") }];
    const { client, nodes, ping } = clusterClient(masters);
    await redisStore({ client }).ping();
    expect(nodes).toHaveBeenCalledWith("master");
    for (const master of masters) expect(master.ping).toHaveBeenCalledTimes(1);
    expect(ping).not.toHaveBeenCalled();
  });

  it("fails with STORAGE_UNAVAILABLE when one master does not answer", async () => {
    const down = new Error("Connection is closed.");
    const { client } = clusterClient([{ ping: async () => "PONG" }, { ping: () => Promise.reject(down) }]);
    await expect(redisStore({ client }).ping()).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      cause: down,
    });
  });

  it("falls back to the client's own PING while it knows no master yet", async () => {
    const { client, ping } = clusterClient([]);
    await redisStore({ client }).ping();
    expect(ping).toHaveBeenCalledTimes(1);
  });
});
