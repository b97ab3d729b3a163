import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redisClientOptions } from "@credkit/storage-redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killLeftovers, runCli } from "./child-processes.js";
import { apiClient } from "./support/api-client.js";
import { startRedis } from "./support/real-servers.js";
import { type ServerProcess, startServer, waitFor } from "./support/server-process.js";

// Revocation across two processes on a real Redis: process A writes, process B (whose near cache holds the
// verdict) must refuse from A's answer on (a revoking write returns once every subscribed process has
// confirmed it dropped the verdicts), and sees a key rotation run by another process within 100 ms.
const token = "near-cache-token-0123456789";
const oldKey = { id: "key-a", key: randomBytes(32).toString("base64") };
const newKey = { id: "key-b", key: randomBytes(32).toString("base64") };
const keyringVar = (...keys: (typeof oldKey)[]) =>
  JSON.stringify(keys.map((k, i) => ({ ...k, active: i === 0 })));
const BOUND_MS = 100;

let redis: Awaited<ReturnType<typeof startRedis>>;
let admin: Redis;
let a: ServerProcess;
let b: ServerProcess;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url, redisClientOptions());
  env = {
    CREDKIT_STORAGE: "redis",
    CREDKIT_REDIS_URL: redis.url,
    CREDKIT_REGIONS: "*",
    // Both keys known from the start, so a rotation to the second one can run while they serve.
    CREDKIT_KEYRING: keyringVar(oldKey, newKey),
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
    CREDKIT_RATE_LIMIT_PER_MINUTE: "0",
    // A long bound: only an invalidation can explain a refusal within 100 ms.
    CREDKIT_NEAR_CACHE_TTL_MS: "60000",
  };
  [a, b] = await Promise.all([startServer(env), startServer(env)]);
});
afterAll(async () => {
  killLeftovers();
  admin?.disconnect();
  await redis?.stop();
});

const api = (server: ServerProcess) => apiClient(server.url, token);
let n = 0;

async function createKey(extra: Record<string, unknown> = {}) {
  const keyValue = randomBytes(16).toString("hex");
  const clientId = `nc-${++n}`;
  const created = await api(a)("POST", `/api/clients/${clientId}/credentials`, {
    credentialName: "near",
    credentialType: "proxy",
    authType: "apiKey",
    region: "eu-west-1",
    secret: { keyName: "X-Key", keyValue },
    ...extra,
  });
  expect(created.status).toBe(201);
  const id = created.body.credentials[0].credentialId as string;
  return { clientId, keyValue, id, path: `/api/clients/${clientId}/credentials/${id}` };
}

const verifyOn = async (server: ServerProcess, clientId: string, keyValue: string) =>
  (await api(server)("POST", `/api/clients/${clientId}/verify`, { headers: { "x-key": keyValue } })).body;

async function metric(server: ServerProcess, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

/** Milliseconds from now until `check` holds on B, polling as fast as B answers (fails past 2 s). */
async function millisUntil(check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > 2000) throw new Error("not seen within 2 s");
  }
  return performance.now() - started;
}

/**
 * Verifies on B until one is served from its cache, so what follows proves an invalidation. (The
 * create's own invalidation may reach B while its first lookup runs: that read is then not cached.)
 */
async function warm(clientId: string, keyValue: string) {
  await waitFor(
    async () => {
      const hits = await metric(b, "credkit_near_cache_hits_total");
      expect(await verifyOn(b, clientId, keyValue)).toMatchObject({ allowed: true });
      return (await metric(b, "credkit_near_cache_hits_total")) === hits + 1;
    },
    2000,
    "a verdict served from B's near cache",
  );
}

describe("near cache across two server processes on Redis", () => {
  it("refuses a deleted credential on the other process from the delete's answer on", async () => {
    const { clientId, keyValue, path } = await createKey();
    await warm(clientId, keyValue);
    expect((await api(a)("DELETE", path)).status).toBe(200);
    expect(await verifyOn(b, clientId, keyValue)).toMatchObject({ allowed: false });
  });

  it("refuses a denied credential from the update's answer on, and sees a rename as soon", async () => {
    const { clientId, keyValue, path } = await createKey();
    await warm(clientId, keyValue);
    expect((await api(a)("PUT", path, { credentialName: "renamed" })).status).toBe(200);
    expect((await verifyOn(b, clientId, keyValue)).credential?.credentialName).toBe("renamed");
    await warm(clientId, keyValue);
    expect((await api(a)("PUT", path, { credentialDefaultRuleEffect: "deny" })).status).toBe(200);
    expect(await verifyOn(b, clientId, keyValue)).toMatchObject({ allowed: false, reason: "DENIED" });
  });

  it("refuses a replaced secret from the update's answer on, and verifies the new one at once", async () => {
    const { clientId, keyValue, path } = await createKey();
    await warm(clientId, keyValue);
    const fresh = randomBytes(16).toString("hex");
    // A negative verdict for the value about to become valid.
    expect(await verifyOn(b, clientId, fresh)).toMatchObject({ allowed: false });
    await api(a)("PUT", path, { secret: { keyName: "X-Key", keyValue: fresh } });
    expect(await verifyOn(b, clientId, keyValue)).toMatchObject({ allowed: false });
    expect(await verifyOn(b, clientId, fresh)).toMatchObject({ allowed: true });
  });

  it("announces a consumed single-use credential (never cached: allowed exactly once)", async () => {
    const invalidations = () => metric(b, "credkit_near_cache_invalidations_total");
    const beforeCreate = await invalidations();
    const { clientId, keyValue } = await createKey({ singleUse: true });
    // The create's own announcement first, so the next one counted is the consume's.
    await waitFor(async () => (await invalidations()) > beforeCreate, 2000, "the create's invalidation on B");
    const before = await invalidations();
    expect(await verifyOn(a, clientId, keyValue)).toMatchObject({ allowed: true });
    expect(await verifyOn(b, clientId, keyValue)).toMatchObject({ allowed: false });
    await waitFor(async () => (await invalidations()) > before, 2000, "the consume's invalidation on B");
  });

  it("drops verdicts changed by a key rotation run from the CLI (another process)", async () => {
    const { clientId, keyValue } = await createKey();
    await warm(clientId, keyValue);
    const dir = await mkdtemp(join(tmpdir(), "credkit-nc-rotate-"));
    try {
      const rotated = await runCli(["rotate", "--state", join(dir, "state.json")], {
        ...env,
        CREDKIT_KEYRING: keyringVar(newKey, oldKey),
      });
      expect(rotated.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const ms = await millisUntil(
      async () => (await verifyOn(b, clientId, keyValue)).credential?.credentialVersion === 2,
    );
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it("resubscribes after its subscription is killed, and revokes from the write's answer on again", async () => {
    const { clientId, keyValue, path } = await createKey();
    await warm(clientId, keyValue);
    const resetsBefore = await metric(b, "credkit_near_cache_misses_total");
    // Cut every pub/sub connection (both processes'): ioredis reconnects and subscribes again.
    expect(Number(await admin.call("CLIENT", "KILL", "TYPE", "pubsub"))).toBeGreaterThanOrEqual(2);
    await waitFor(
      async () => {
        const [, count] = (await admin.call("PUBSUB", "NUMSUB", "credkit:invalidate")) as [string, number];
        return Number(count) >= 2;
      },
      5000,
      "both processes to resubscribe",
    );
    // The drop cleared B's cache (events may have been missed): the next verification asks Redis.
    await verifyOn(b, clientId, keyValue);
    expect(await metric(b, "credkit_near_cache_misses_total")).toBeGreaterThan(resetsBefore);
    await warm(clientId, keyValue);
    expect((await api(a)("DELETE", path)).status).toBe(200);
    expect(await verifyOn(b, clientId, keyValue)).toMatchObject({ allowed: false });
  });
});
