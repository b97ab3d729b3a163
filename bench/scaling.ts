// Scaling: verification on Redis with the near cache vs the memory store and vs Redis without it (in
// process and over HTTP), the revocation delay across two server processes on Redis, and throughput
// with 2 workers vs 1. Run: pnpm bench scaling (or node --conditions=credkit-source --import tsx bench/scaling.ts)
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  type Actor,
  type CreateCredentialInput,
  type CredentialStore,
  createCredentialService,
  createKeyring,
  createNearCache,
} from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { redisClientOptions, redisInvalidationChannel, redisStore } from "@credkit/storage-redis";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import { startScriptServer } from "./fixtures.js";
import { alternate, type Measured } from "./measure.js";
import { type BenchServer, startBenchServer, verifyHttpRequest } from "./scaling-target.js";
import { median, printTable, type Row, ratio } from "./table.js";

const admin: Actor = { userId: "bench", clientIds: "*", scopes: [] };
const token = "scaling-bench-token-0123456789";
const clientId = "bench-client";
const presented = { "x-api-key": `key-${"x".repeat(28)}`, "user-agent": "bench", accept: "*/*" };
const createBody: CreateCredentialInput = {
  credentialName: "bench",
  credentialType: "proxy",
  authType: "apiKey",
  region: "us-east-1",
  secret: { keyName: "X-Api-Key", keyValue: presented["x-api-key"] },
};

/** verifyProxyRequest in this process: memory vs Redis with and without the near cache. */
async function inProcessRows(redisUrl: string): Promise<Row[]> {
  const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
  const client = new Redis(redisUrl, redisClientOptions());
  const subscriber = client.duplicate();
  const prefix = `bench-${randomBytes(4).toString("hex")}:`;
  const make = (
    store: CredentialStore,
    nearCache?: Parameters<typeof createCredentialService>[0]["nearCache"],
  ) =>
    createCredentialService({
      regions: { "us-east-1": store },
      keyring,
      defaultRegion: "us-east-1",
      ...(nearCache ? { nearCache } : {}),
    });
  const memory = make(memoryStore());
  const cached = make(
    redisStore({ client, keyPrefix: prefix }),
    createNearCache({ ttlMs: 5000, channel: redisInvalidationChannel({ client, subscriber }) }),
  );
  const uncached = make(redisStore({ client, keyPrefix: prefix }), { ttlMs: 0 });
  await memory.create(admin, clientId, createBody);
  await cached.create(admin, clientId, createBody);
  const verify = (service: typeof memory) => () =>
    service.verifyProxyRequest(admin, clientId, { headers: presented });
  for (const service of [memory, cached, uncached]) {
    const result = await service.verifyProxyRequest(admin, clientId, { headers: presented });
    if (!result.ok) throw new Error("bench credential does not verify");
  }
  const options = { rounds: 5, roundMs: 400, inFlight: 16 };
  const [m, c, u] = (await alternate([verify(memory), verify(cached), verify(uncached)], options)) as [
    Measured,
    Measured,
    Measured,
  ];
  client.disconnect();
  subscriber.disconnect();
  const row = (subject: string, r: typeof m, extra = {}): Row => ({
    bench: "verify apiKey in process (16 in flight)",
    subject,
    "ops/s": r.opsPerSecond,
    "p50 ms": Number(r.p50.toFixed(4)),
    "p99 ms": Number(r.p99.toFixed(4)),
    ...extra,
  });
  return [
    row("memory store", m),
    row("redis + near cache", c, ratio(c.opsPerSecond, m.opsPerSecond, 0.9)),
    row("redis, no cache", u, ratio(u.opsPerSecond, m.opsPerSecond)),
  ];
}

/** Loads one server's verification route with autocannon; throws on any non-2xx or refusal. */
async function loadVerify(server: BenchServer, seconds: number, connections = 50) {
  const request = verifyHttpRequest(server.authzUrl, token, clientId, presented);
  const result = await autocannon({
    url: request.url,
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    connections,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

type Loaded = Awaited<ReturnType<typeof loadVerify>>;

/**
 * Every subject's server started at once (an idle server costs nothing), then loaded in turn for
 * `rounds` short rounds after a warm-up, keeping each one's median round: load from other processes
 * on the machine then hits every subject alike.
 */
async function alternateServers(envs: Record<string, string>[], seconds: number, rounds = 5) {
  const servers = await Promise.all(envs.map(serverWithCredential));
  try {
    for (const server of servers) await loadVerify(server, 1); // warm-up: JIT, pools, the cache
    const runs: Loaded[][] = servers.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (const [i, server] of servers.entries()) runs[i]?.push(await loadVerify(server, seconds));
    }
    return runs.map((r) => [...r].sort((a, b) => a.rps - b.rps)[Math.floor(r.length / 2)] as Loaded);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

async function serverWithCredential(env: Record<string, string>): Promise<BenchServer> {
  const server = await startBenchServer({
    // One token for the management API (creating the credential) and the data plane (scope authz).
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "bench", clientIds: "*", scopes: ["authz"] }]),
    // The data-plane listener has no per-token limiter; the management API's is off so that the creates
    // and deletes of the revocation rounds are never refused.
    CREDKIT_RATE_LIMIT_PER_MINUTE: "0",
    ...env,
  });
  const res = await fetch(`${server.url}/api/clients/${clientId}/credentials`, {
    method: "POST",
    headers: { authorization: token, "content-type": "application/json" },
    body: JSON.stringify(createBody),
  });
  if (res.status !== 201 && res.status !== 409) throw new Error(`create answered ${res.status}`);
  return server;
}

/** Verification over HTTP, one server process at a time (the load generator needs the other core). */
async function httpRows(redisEnv: Record<string, string>, seconds: number): Promise<Row[]> {
  const subjects: [string, Record<string, string>][] = [
    ["memory store", {}],
    ["redis + near cache", redisEnv],
    ["redis, no cache", { ...redisEnv, CREDKIT_NEAR_CACHE_TTL_MS: "0" }],
  ];
  const results = await alternateServers(
    subjects.map(([, env]) => env),
    seconds,
  );
  const memoryRps = (results[0] as { rps: number }).rps;
  return subjects.map(([subject], i) => {
    const r = results[i] as { rps: number; p50: number; p99: number };
    return {
      bench: "verify over HTTP, GET /authz/{id} on the data-plane listener (50 conns)",
      subject,
      "ops/s": r.rps,
      "p50 ms": r.p50,
      "p99 ms": r.p99,
      ...(i === 0 ? {} : ratio(r.rps, memoryRps, i === 1 ? 0.9 : undefined)),
    };
  });
}

/**
 * Revocation delay: process A deletes, process B (whose near cache holds the verdict, with a 60 s
 * bound so only an invalidation can refuse it) is asked until it refuses; the delay is measured from
 * A's answer, and B's verifications allowed after it are counted (the guarantee: none). The delete's
 * own latency is what the guarantee costs (it waits for every process's confirmation). 50 deletes.
 */
async function revocationDelays(
  redisEnv: Record<string, string>,
  count = 50,
): Promise<{ delays: number[]; writes: number[]; allowedAfter: number }> {
  const env = { ...redisEnv, CREDKIT_NEAR_CACHE_TTL_MS: "60000" };
  const [a, b] = await Promise.all([serverWithCredential(env), serverWithCredential(env)]);
  const call = async (server: BenchServer, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: token, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as { credentials?: { credentialId: string }[] };
  };
  const delays: number[] = [];
  const writes: number[] = [];
  let allowedAfter = 0;
  try {
    for (let i = 0; i < count; i++) {
      const client = `revoke-${i}`;
      const keyValue = randomBytes(16).toString("hex");
      const created = await call(a, "POST", `/api/clients/${client}/credentials`, {
        ...createBody,
        secret: { keyName: "X-Api-Key", keyValue },
      });
      const id = created.credentials?.[0]?.credentialId as string;
      // B's data-plane listener, as a proxy asks it: 200 allows, 401 refuses.
      const request = verifyHttpRequest(b.authzUrl, token, client, { "x-api-key": keyValue });
      const verify = async () => {
        const res = await fetch(request.url, { method: request.method, headers: request.headers });
        await res.body?.cancel();
        if (res.status !== 200 && res.status !== 401) throw new Error(`authz answered ${res.status}`);
        return { allowed: res.status === 200 };
      };
      // Warm B: the create's own invalidation may arrive during the first lookup, so verify a few times.
      for (let w = 0; w < 3; w++) if (!(await verify()).allowed) throw new Error("not allowed before delete");
      const sentAt = performance.now();
      await call(a, "DELETE", `/api/clients/${client}/credentials/${id}`);
      const deletedAt = performance.now();
      writes.push(deletedAt - sentAt);
      while ((await verify()).allowed) {
        allowedAfter++;
        if (performance.now() - deletedAt > 10_000) throw new Error("not revoked within 10 s");
      }
      delays.push(performance.now() - deletedAt);
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  return { delays, writes, allowedAfter };
}

/**
 * The bare baseline of the revocation delay: raw ioredis PUBLISH to a SUBSCRIBE in another process,
 * with the same rhythm (a message for the create, then ~10 ms later one for the delete, whose
 * latency is measured). Whatever tail this shows is the machine's, not the cache's.
 */
async function rawPubSubDelays(redisUrl: string, count = 50): Promise<number[]> {
  const channel = `bench-${randomBytes(4).toString("hex")}`;
  const child = fork(fileURLToPath(new URL("./pubsub-subscriber.ts", import.meta.url)), [redisUrl, channel], {
    execArgv: ["--import", "tsx"],
  });
  const publisher = new Redis(redisUrl, redisClientOptions());
  try {
    await once(child, "message");
    const delays: number[] = [];
    for (let i = 0; i < count; i++) {
      await publisher.publish(channel, `create-${i}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      const arrived = new Promise<number>((resolve) => {
        const on = (m: { message: string; at: number }) => {
          if (m.message !== `delete-${i}`) return;
          child.off("message", on);
          resolve(m.at);
        };
        child.on("message", on);
      });
      const sentAt = performance.timeOrigin + performance.now();
      await publisher.publish(channel, `delete-${i}`);
      delays.push((await arrived) - sentAt);
    }
    return delays;
  } finally {
    publisher.disconnect();
    child.kill();
  }
}

/** The same Redis-backed server with 1 and with 2 worker processes. */
async function workerRows(redisEnv: Record<string, string>, seconds: number): Promise<Row[]> {
  const [one, two] = (await alternateServers(
    [
      { ...redisEnv, CREDKIT_WORKERS: "1" },
      { ...redisEnv, CREDKIT_WORKERS: "2" },
    ],
    seconds,
  )) as [Loaded, Loaded];
  const row = (subject: string, r: Loaded, extra = {}): Row => ({
    bench: "verify over HTTP, GET /authz/{id}, on redis + near cache (50 conns)",
    subject,
    "ops/s": r.rps,
    "p50 ms": r.p50,
    "p99 ms": r.p99,
    ...extra,
  });
  return [row("1 worker", one), row("2 workers", two, ratio(two.rps, one.rps))];
}

/** Every scaling measurement, side by side in one run. */
export async function benchScaling(seconds = 2): Promise<Row[]> {
  const redis = await startScriptServer("redis.sh", "start-standalone");
  const redisEnv = {
    CREDKIT_STORAGE: "redis",
    CREDKIT_REDIS_URL: redis.address,
    CREDKIT_REGIONS: "*",
    CREDKIT_REDIS_KEY_PREFIX: `bench-${randomBytes(4).toString("hex")}:`,
    CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
  };
  try {
    const inProcess = await inProcessRows(redis.address);
    printTable("Verification in process: near cache on Redis vs the memory store", inProcess);
    const http = await httpRows(redisEnv, seconds);
    printTable("Verification over HTTP: near cache on Redis vs the memory store", http);
    const { delays, writes, allowedAfter } = await revocationDelays(redisEnv);
    const raw = await rawPubSubDelays(redis.address);
    const revocation: Row[] = [
      {
        bench: "bare: ioredis PUBLISH → SUBSCRIBE in another process (50 messages)",
        subject: `delay ms (median / max; ${raw.filter((d) => d > 100).length} of ${raw.length} over 100)`,
        "ops/s": 0,
        "p50 ms": Number(median(raw).toFixed(2)),
        "p99 ms": Number(Math.max(...raw).toFixed(2)),
      },
      {
        bench: "revocation across 2 processes on Redis (50 deletes)",
        subject: `first refusal seen, ms after the 200 (median / max); allowed after the 200: ${allowedAfter}`,
        "ops/s": 0,
        "p50 ms": Number(median(delays).toFixed(2)),
        "p99 ms": Number(Math.max(...delays).toFixed(2)),
        target: `none allowed after the 200 ${allowedAfter === 0 ? "met" : "MISSED"}`,
      },
      {
        bench: "revocation across 2 processes on Redis (50 deletes)",
        subject: "DELETE latency ms, waiting for both processes' confirmation (median / max)",
        "ops/s": 0,
        "p50 ms": Number(median(writes).toFixed(2)),
        "p99 ms": Number(Math.max(...writes).toFixed(2)),
      },
    ];
    printTable("Revocation delay (p50 ms = median, p99 ms = max)", revocation);
    const workers = await workerRows(redisEnv, seconds);
    printTable("Worker processes on Redis (this box: 2 cores, autocannon needs one)", workers);
    return [...inProcess, ...http, ...revocation, ...workers];
  } finally {
    await redis.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await benchScaling();
