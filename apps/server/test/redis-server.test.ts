import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { startRedis } from "./support/real-servers.js";
import { killServers, type ServerProcess, startServer, waitFor } from "./support/server-process.js";

const token = "redis-test-token-0123456789";
const secret = `REDIS-PLAINTEXT-${randomUUID()}`;
let redis: Awaited<ReturnType<typeof startRedis>>;
let server: ServerProcess;

beforeAll(async () => {
  redis = await startRedis();
  server = await startServer({
    CREDKIT_STORAGE: "redis",
    CREDKIT_REDIS_URL: redis.url,
    CREDKIT_REGIONS: "*",
    CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
  });
});
afterAll(async () => {
  killServers();
  await redis?.stop();
});

describe("the server on a real Redis", () => {
  it("stores only ciphertext: no secret in any raw key", async () => {
    const api = apiClient(server.url, token);
    const created = await api("POST", "/api/clients/acme/credentials", {
      credentialName: "upstream",
      credentialType: "target",
      authType: "bearer",
      region: "eu-west-1",
      secret: { token: secret },
    });
    expect(created.status).toBe(201);
    const raw = new Redis(redis.url);
    try {
      const keys = await raw.keys("*");
      expect(keys.some((k) => k.includes("acme") || k.includes("{c:"))).toBe(true);
      const values = await Promise.all(
        keys.map(async (key) => {
          const type = await raw.type(key);
          if (type === "hash") return JSON.stringify(await raw.hgetall(key));
          if (type === "string") return (await raw.get(key)) ?? "";
          if (type === "zset") return (await raw.zrange(key, "0", "-1")).join(" ");
          return (await raw.smembers(key)).join(" ");
        }),
      );
      const dump = values.join("\n");
      expect(dump).toContain(created.body.credentials[0].credentialId);
      expect(dump).toContain("ck1.");
      expect(dump).not.toContain(secret);
    } finally {
      raw.disconnect();
    }
  });

  it("answers 503 with Retry-After within a bounded time while Redis is down, then recovers by itself", async () => {
    const api = apiClient(server.url, token);
    const created = await api("POST", "/api/clients/acme/credentials", {
      credentialName: "before the crash",
      credentialType: "target",
      authType: "none",
      region: "eu-west-1",
    });
    expect(created.status).toBe(201);
    const path = `/api/clients/acme/credentials/${created.body.credentials[0].credentialId}`;

    await redis.kill();
    const started = Date.now();
    const down = await api("GET", path);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(down.status).toBe(503);
    expect(down.body.code).toBe("STORAGE_UNAVAILABLE");
    expect(down.headers.get("retry-after")).toBe("1");
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    // Requests do not pile up: a burst while Redis is down all settle.
    const burst = await Promise.all(Array.from({ length: 20 }, () => api("GET", path)));
    expect(burst.every((r) => r.status === 503)).toBe(true);

    await redis.restart();
    await waitFor(
      async () => (await fetch(`${server.url}/readyz`)).status === 200,
      20_000,
      "readyz to turn green",
    );
    const back = await api("GET", path);
    expect(back.status).toBe(200);
    expect(back.body.credentials[0].credentialName).toBe("before the crash");
  });
});
