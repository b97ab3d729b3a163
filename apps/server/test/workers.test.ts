import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { availableParallelism } from "node:os";
import type { CredentialStore } from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { redisStore } from "@credkit/storage-redis";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { openNearCache } from "../src/near-cache.js";
import { apiClient } from "./support/api-client.js";
import { startRedis } from "./support/real-servers.js";
import { killServers, startServer, waitFor } from "./support/server-process.js";

const token = "workers-test-token-0123456789";
const tokens = JSON.stringify([{ token, userId: "ops", clientIds: "*" }]);
// One key for every start: the processes share one Redis, and a start refuses a keyring that cannot open
// what an earlier test stored.
const masterKey = randomBytes(32).toString("base64");

/** The pids of a process's children (its cluster workers). */
function childPids(pid: number): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

describe("CREDKIT_WORKERS configuration", () => {
  it("reads 1 by default, a number, or auto (the available cores)", () => {
    const redis = {
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: "redis://127.0.0.1:1",
      CREDKIT_REGIONS: "*",
      CREDKIT_MASTER_KEY: masterKey,
      CREDKIT_USER_TOKENS: tokens,
    };
    expect(loadConfig(redis).workers).toBe(1);
    expect(loadConfig({ ...redis, CREDKIT_WORKERS: "3" }).workers).toBe(3);
    expect(loadConfig({ ...redis, CREDKIT_WORKERS: "auto" }).workers).toBe(availableParallelism());
    expect(() => loadConfig({ ...redis, CREDKIT_WORKERS: "many" })).toThrow(
      /CREDKIT_WORKERS: must be an integer/,
    );
    expect(() => loadConfig({ ...redis, CREDKIT_WORKERS: "2", CREDKIT_USER_TOKENS: "" })).toThrow(
      /CREDKIT_USER_TOKENS: is required with CREDKIT_WORKERS=2/,
    );
  });

  it("turns the near cache on for durable stores (5 s bound) and off for memory, and reads its variables", () => {
    const redis = {
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: "redis://127.0.0.1:1",
      CREDKIT_REGIONS: "*",
      CREDKIT_MASTER_KEY: masterKey,
    };
    // Unset, the server passes nothing: core decides, by its one rule on the built stores.
    expect(loadConfig(redis).service.nearCache).toEqual({});
    const open = (options: { ttlMs?: number }, store: CredentialStore) =>
      openNearCache(options, { "eu-west-1": store }, null, new Registry(), createLogger("silent")).cache;
    const redisClient = new Redis({ lazyConnect: true });
    const onRedis = redisStore({ client: redisClient });
    expect(open({}, onRedis).ttlMs).toBe(5000);
    expect(open({}, memoryStore()).ttlMs).toBe(0);
    expect(
      open(loadConfig({ ...redis, CREDKIT_NEAR_CACHE_TTL_MS: "0" }).service.nearCache, onRedis).ttlMs,
    ).toBe(0);
    expect(loadConfig({ ...redis, CREDKIT_NEAR_CACHE_MAX_ENTRIES: "7" }).service.nearCache).toEqual({
      maxEntries: 7,
    });
    redisClient.disconnect();
    expect(() => loadConfig({ ...redis, CREDKIT_NEAR_CACHE_TTL_MS: "-1" })).toThrow(
      /CREDKIT_NEAR_CACHE_TTL_MS/,
    );
  });

  it("refuses several workers over the memory store at start, saying why (exit 2)", async () => {
    const started = startServer({ CREDKIT_WORKERS: "2", CREDKIT_USER_TOKENS: tokens });
    await expect(started).rejects.toThrow(/exited with 2/);
    await expect(started).rejects.toThrow(/CREDKIT_WORKERS: must be 1 with the memory store/);
    await expect(started).rejects.toThrow(/would each keep their own credentials/);
  });
});

describe("two worker processes on Redis", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    killServers();
    await redis?.stop();
  });

  it("share one port, replace a worker that dies, and all stop on SIGTERM", async () => {
    const server = await startServer({
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: redis.url,
      CREDKIT_REGIONS: "*",
      CREDKIT_MASTER_KEY: masterKey,
      CREDKIT_USER_TOKENS: tokens,
      CREDKIT_WORKERS: "2",
    });
    const primary = server.child.pid as number;
    await waitFor(async () => childPids(primary).length === 2, 20_000, "two workers");
    // Both workers listen on the port the first one announced.
    await waitFor(
      async () => (server.output().match(/credkit listening on http:\/\/localhost:\d+/g) ?? []).length === 2,
      20_000,
      "both workers listening",
    );
    const ports = new Set(server.output().match(/localhost:\d+/g));
    expect(ports.size).toBe(1);

    const api = apiClient(server.url, token);
    // A new connection per request: none is pooled to the worker about to be killed (reusing one would
    // fail the next request for the test's reason, not the server's).
    const fresh = { Connection: "close" };
    const created = await api(
      "POST",
      "/api/clients/acme/credentials",
      { credentialName: "w", credentialType: "target", authType: "none", region: "eu-west-1" },
      fresh,
    );
    expect(created.status).toBe(201);
    const path = `/api/clients/acme/credentials/${created.body.credentials[0].credentialId}`;

    const [victim] = childPids(primary) as [number];
    process.kill(victim, "SIGKILL");
    await waitFor(
      async () => {
        const pids = childPids(primary);
        return pids.length === 2 && !pids.includes(victim);
      },
      20_000,
      "the dead worker to be replaced",
    );
    await waitFor(async () => /worker died; restarting it/.test(server.output()), 5000, "the restart log");
    // Whichever worker answers, the data is the shared store's.
    for (let i = 0; i < 6; i++) expect((await api("GET", path, undefined, fresh)).status).toBe(200);

    const workers = childPids(primary);
    server.child.kill("SIGTERM");
    const [code] = await once(server.child, "exit");
    expect(code).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });

  it("answer /metrics with the sum over the workers, whichever worker is scraped", async () => {
    const server = await startServer({
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: redis.url,
      CREDKIT_REGIONS: "*",
      CREDKIT_MASTER_KEY: masterKey,
      CREDKIT_USER_TOKENS: tokens,
      CREDKIT_WORKERS: "2",
    });
    await waitFor(
      async () => (server.output().match(/credkit listening on http:\/\/localhost:\d+/g) ?? []).length === 2,
      20_000,
      "both workers listening",
    );
    // A new connection each: the primary hands them out round robin, so both workers serve some.
    for (let i = 0; i < 10; i++) {
      const answer = await fetch(`${server.url}/healthz`, { headers: { Connection: "close" } });
      expect(answer.status).toBe(200);
    }
    const healthz = /^credkit_http_requests_total\{[^}]*route="\/healthz"[^}]*\} (\d+)$/m;
    for (let i = 0; i < 4; i++) {
      const scrape = await fetch(`${server.url}/metrics`, { headers: { Connection: "close" } });
      expect(scrape.status).toBe(200);
      const text = await scrape.text();
      expect(healthz.exec(text)?.[1], text.slice(0, 2000)).toBe("10");
    }
    expect(await server.stop()).toBe(0);
  });
});
