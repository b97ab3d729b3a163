// Redis store vs raw ioredis commands on the same redis-server, which this bench starts itself.
// Run: node --conditions=credkit-source --import tsx bench/redis-store.ts
//  (or build first: pnpm turbo run build --filter @credkit/storage-redis... && node --import tsx bench/redis-store.ts)
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type { StoredCredential } from "@credkit/core";
import { redisClientOptions, redisKeys, redisStore } from "@credkit/storage-redis";
import { Redis } from "ioredis";
import { median, printTable, type Row, ratio } from "./table.js";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../scripts/redis.sh", import.meta.url));

/** Options of {@link benchRedisStore}. */
export interface RedisBenchOptions {
  /** A `redis://` URL to use instead of starting a server. Default: `CREDKIT_TEST_REDIS_URL`, else start one. */
  url?: string;
  /** Length of one measured round in ms; each subject runs `rounds` rounds, the median counts. Default 400. */
  roundMs?: number;
  /** Rounds per subject, alternating store and raw so noise hits both alike. Default 5. */
  rounds?: number;
  /** Requests in flight in the concurrent runs. Default 50. */
  concurrency?: number;
}

/** One measured run: throughput and per-call latency. */
interface Measured {
  opsPerSecond: number;
  p50: number;
  p99: number;
}

const clientIds = Array.from({ length: 20 }, (_, i) => `bench-client-${i}`);

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

function record(): StoredCredential {
  const clientId = pick(clientIds);
  const now = new Date().toISOString();
  return {
    clientId,
    credentialId: `us-east-1.${randomBytes(16).toString("base64url")}`,
    region: "us-east-1",
    credentialType: "proxy",
    authType: "apiKey",
    name: `bench ${randomUUID().slice(0, 8)}`,
    defaultRuleEffect: "allow",
    singleUse: false,
    temporary: false,
    expiresAt: null,
    userId: "bench-user",
    parentId: clientId,
    createdAt: now,
    updatedAt: now,
    version: 1,
    secret: `ck1.k1.${randomBytes(12).toString("base64url")}.${randomBytes(64).toString("base64url")}.${randomBytes(16).toString("base64url")}`,
    lookupHash: randomBytes(32).toString("base64url"),
  };
}

/** Calls `op` for `ms` with `inFlight` callers, each awaiting its previous call. */
async function measure(ms: number, inFlight: number, op: () => Promise<unknown>): Promise<Measured> {
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await op();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
  return { opsPerSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

async function startServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const stateDir = await mkdtemp(join(tmpdir(), "credkit-bench-redis-"));
  const { stdout } = await run("bash", [script, "start-standalone", stateDir], { timeout: 60_000 });
  return {
    url: stdout.trim(),
    stop: async () => {
      await run("bash", [script, "stop", stateDir], { timeout: 60_000 });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * credkit's Redis store against bare ioredis commands on the same server (appendfsync always, as the
 * tests run it): `get` vs `HGET` of the record; `findByLookup` vs `GET` + `HGET`; `create` vs one `HSET`
 * and vs the same three writes pipelined without checks; sequential and with `concurrency` calls in
 * flight. Prints a table, returns its rows. Target: ≥ 0.7× raw at `concurrency` in flight.
 */
export async function benchRedisStore(options: RedisBenchOptions = {}): Promise<Row[]> {
  const roundMs = options.roundMs ?? 400;
  const rounds = options.rounds ?? 5;
  const concurrency = options.concurrency ?? 50;
  const given = options.url ?? process.env.CREDKIT_TEST_REDIS_URL;
  const server = given ? undefined : await startServer();
  const url = given ?? server?.url ?? "";
  const client = new Redis(url, redisClientOptions());
  const keyPrefix = `credkit-bench:${randomUUID()}:`;
  const keys = redisKeys(keyPrefix);
  try {
    const store = redisStore({ client, keyPrefix });
    const seeded = await Promise.all(
      Array.from({ length: 500 }, async () => {
        const r = record();
        await store.create(r);
        return r;
      }),
    );
    const rawKey = () => `${keyPrefix}raw:${randomBytes(16).toString("base64url")}`;

    const subjects: {
      bench: string;
      raw: [string, () => Promise<unknown>];
      store: [string, () => Promise<unknown>];
    }[] = [
      {
        bench: "get",
        raw: [
          "raw HGET",
          () => {
            const r = pick(seeded);
            return client.hget(keys.record(r.clientId, r.credentialId), "r");
          },
        ],
        store: [
          "store.get (HGET + parse + expiry check)",
          () => {
            const r = pick(seeded);
            return store.get(r.clientId, r.credentialId);
          },
        ],
      },
      {
        bench: "findByLookup",
        raw: [
          "raw GET of the lookup key, then HGET (no Lua)",
          async () => {
            const r = pick(seeded);
            const id = await client.get(keys.lookup(r.clientId, r.lookupHash ?? ""));
            return id === null ? null : client.hget(keys.record(r.clientId, id), "r");
          },
        ],
        store: [
          "store.findByLookup (one EVALSHA)",
          () => {
            const r = pick(seeded);
            return store.findByLookup(r.clientId, r.lookupHash ?? "");
          },
        ],
      },
      {
        bench: "create vs HSET",
        raw: ["raw HSET of the record JSON", () => client.hset(rawKey(), "r", JSON.stringify(record()))],
        store: ["store.create (one EVALSHA)", () => store.create(record())],
      },
      {
        bench: "create vs same writes",
        raw: [
          "raw HSET + ZADD + SET pipelined (no checks, not atomic)",
          () => {
            const r = record();
            const json = JSON.stringify(r);
            return client
              .pipeline()
              .hset(keys.record(r.clientId, r.credentialId), "r", json, "v", 1, "h", r.lookupHash ?? "")
              .zadd(keys.ids(r.clientId), 0, r.credentialId)
              .set(keys.lookup(r.clientId, r.lookupHash ?? ""), r.credentialId)
              .exec();
          },
        ],
        store: ["store.create (one EVALSHA)", () => store.create(record())],
      },
    ];

    // Warm-up: JIT, script cache, connection.
    for (const subject of subjects) {
      await measure(roundMs / 2, concurrency, subject.raw[1]);
      await measure(roundMs / 2, concurrency, subject.store[1]);
    }

    const rows: Row[] = [];
    for (const inFlight of [1, concurrency]) {
      for (const subject of subjects) {
        const raw: Measured[] = [];
        const mine: Measured[] = [];
        for (let round = 0; round < rounds; round++) {
          raw.push(await measure(roundMs, inFlight, subject.raw[1]));
          mine.push(await measure(roundMs, inFlight, subject.store[1]));
        }
        const summary = (runs: Measured[]) => ({
          "ops/s": median(runs.map((m) => m.opsPerSecond)),
          "p50 ms": Number(median(runs.map((m) => m.p50)).toFixed(3)),
          "p99 ms": Number(median(runs.map((m) => m.p99)).toFixed(3)),
        });
        const rawSummary = summary(raw);
        const storeSummary = summary(mine);
        const bench = `${subject.bench}, ${inFlight} in flight`;
        rows.push({ bench, subject: subject.raw[0], ...rawSummary });
        rows.push({
          bench,
          subject: subject.store[0],
          ...storeSummary,
          ...ratio(storeSummary["ops/s"], rawSummary["ops/s"], inFlight === concurrency ? 0.7 : undefined),
        });
      }
    }
    printTable(`@credkit/storage-redis vs raw ioredis on redis-server (${url}, appendfsync always)`, rows);
    return rows;
  } finally {
    // A bench against a given server must not leave its keys there; a started server dies with its data.
    if (given) await deleteUnder(client, keyPrefix);
    client.disconnect();
    await server?.stop();
  }
}

async function deleteUnder(client: Redis, keyPrefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, found] = await client.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
    if (found.length > 0) await client.del(...found);
    cursor = next;
  } while (cursor !== "0");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchRedisStore();
}
