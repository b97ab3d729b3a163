import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crashDuringCreates } from "./support/crash-mid-create.js";
import { freezingProxy } from "./support/freezing-proxy.js";
import { startRedis } from "./support/real-servers.js";
import { killServers, type ServerProcess, startServer } from "./support/server-process.js";

// On Redis a claim used to stay "in progress" for the whole record TTL (24 h): a process killed
// mid-create left its keys answering 409 for a day. Now a claim lapses after the in-progress bound.
const token = "crash-redis-token-0123456789";
const BOUND_MS = 3000;
let redis: Awaited<ReturnType<typeof startRedis>>;
let env: Record<string, string>;
let survivor: ServerProcess;

beforeAll(async () => {
  redis = await startRedis();
  env = {
    CREDKIT_STORAGE: "redis",
    CREDKIT_REDIS_URL: redis.url,
    CREDKIT_REGIONS: "*",
    CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
    CREDKIT_RATE_LIMIT_PER_MINUTE: "0",
  };
  survivor = await startServer(env);
}, 120_000);
afterAll(async () => {
  killServers();
  await redis?.stop();
});

describe("a process SIGKILLed during creates, on Redis", () => {
  it("leaves every key usable within the in-progress bound, and completed keys replay", async () => {
    const crashing = {
      ...env,
      CREDKIT_REQUEST_TIMEOUT_MS: "2000",
      CREDKIT_IDEMPOTENCY_IN_PROGRESS_MS: String(BOUND_MS),
    };
    // The victim reaches Redis through a proxy that lets a claim (`SET … NX`) in, then nothing more.
    const { hostname, port } = new URL(redis.url);
    const freeze = await freezingProxy({ host: hostname, port: Number(port) }, "\r\nNX\r\n");
    const outcome = await crashDuringCreates({
      victim: await startServer({ ...crashing, CREDKIT_REDIS_URL: `redis://127.0.0.1:${freeze.port}` }),
      freeze,
      survivor,
      restart: () => startServer(crashing),
      token,
    });
    expect(outcome.inProgress).toBeGreaterThan(0);
    // Usable again after the bound (plus the restart and the polling), not after the 24 h record TTL.
    expect(outcome.lastUsableMs).toBeLessThan(BOUND_MS + 20_000);
  }, 120_000);
});
