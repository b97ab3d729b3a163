import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { startRedisCluster } from "./support/real-servers.js";
import { killServers, type ServerProcess, startServer } from "./support/server-process.js";

const token = "cluster-test-token-0123456789";
let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
let server: ServerProcess;

beforeAll(async () => {
  cluster = await startRedisCluster();
  server = await startServer({
    CREDKIT_STORAGE: "redis",
    CREDKIT_REDIS_CLUSTER_NODES: cluster.nodes,
    CREDKIT_REGIONS: "*",
    CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
  });
}, 120_000);
afterAll(async () => {
  killServers();
  await cluster?.stop();
});

describe("the server on a real 3-master Redis Cluster", () => {
  it("serves every endpoint for clients spread over the slots", async () => {
    const api = apiClient(server.url, token);
    // Several clients, so their hash tags land on different masters.
    for (const clientId of ["acme", "globex", "initech", "umbrella", "hooli"]) {
      const keyValue = `key-${randomUUID()}`;
      const created = await api("POST", `/api/clients/${clientId}/credentials`, {
        credentialName: "k",
        credentialType: "proxy",
        authType: "apiKey",
        region: "eu-west-1",
        singleUse: true,
        secret: { keyName: "X-Api-Key", keyValue },
      });
      expect(created.status).toBe(201);
      const path = `/api/clients/${clientId}/credentials/${created.body.credentials[0].credentialId}`;
      expect((await api("GET", `/api/clients/${clientId}/credentials`)).body.credentials).toHaveLength(1);
      expect((await api("PUT", path, { credentialName: "renamed" }, { "If-Match": '"1"' })).status).toBe(200);
      const verdicts = await Promise.all(
        Array.from({ length: 5 }, () =>
          api("POST", `/api/clients/${clientId}/verify`, { headers: { "x-api-key": keyValue } }),
        ),
      );
      expect(verdicts.filter((v) => v.body.allowed)).toHaveLength(1);
      expect((await api("GET", path)).status).toBe(404);
    }
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
