// Key rotation throughput: reencryptStore on the memory store and on a real redis-server (started with
// scripts/redis.sh), against the bare floor of the same work in the same run.
// Run: pnpm bench rotation (or node --conditions=credkit-source --import tsx bench/rotation.ts)
import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import {
  apiKeyLookupValue,
  type CredentialStore,
  createKeyring,
  reencryptStore,
  type StoredCredential,
} from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { redisClientOptions, redisStore } from "@credkit/storage-redis";
import { Redis } from "ioredis";
import { benchRecord, startScriptServer } from "./fixtures.js";
import { printTable, type Row, ratio } from "./table.js";

/** Options of {@link benchRotation}. */
export interface RotationBenchOptions {
  /** Records in the memory store. Default 20000. */
  memoryRecords?: number;
  /** Records in Redis. Default 5000. */
  redisRecords?: number;
  /** A `redis://` URL to use instead of starting a server. Default: `CREDKIT_TEST_REDIS_URL`, else start one. */
  url?: string;
}

const k1 = { id: "k1", key: randomBytes(32) };
const k2 = { id: "k2", key: randomBytes(32) };
const before = createKeyring({ activeKeyId: "k1", keys: [k1] });
const during = createKeyring({ activeKeyId: "k2", keys: [k2, k1] });

/** `count` proxy apiKey records sealed under k1 (half of them with a lookup hash, as proxies have). */
function sealedRecords(count: number): StoredCredential[] {
  return Array.from({ length: count }, (_, i) => {
    const record = benchRecord(`bench-client-${i % 200}`, i % 2 === 0);
    const keyValue = randomBytes(24).toString("base64url");
    const identity = { ...record, credentialType: record.credentialType, authType: record.authType };
    return {
      ...record,
      secret: before.encrypt(JSON.stringify({ keyName: "X-Api-Key", keyValue }), identity),
      lookupHash:
        record.lookupHash === null ? null : before.lookupHash(apiKeyLookupValue("x-api-key", keyValue)),
    };
  });
}

async function timeJob(store: CredentialStore, count: number, concurrency: number): Promise<number> {
  const started = performance.now();
  const result = await reencryptStore({ store, keyring: during, batchSize: 500, concurrency });
  if (result.reencrypted !== count) throw new Error(`re-encrypted ${result.reencrypted} of ${count}`);
  return (count * 1000) / (performance.now() - started);
}

/** The crypto floor: AES-256-GCM open + seal and one HMAC-SHA256 per record, with raw node:crypto. */
function rawCrypto(count: number): number {
  const key = randomBytes(32);
  const hmacKey = randomBytes(32);
  const aad = Buffer.from('["ck1","k1","client","id","proxy","apiKey","us-east-1"]');
  const sealed = Array.from({ length: count }, () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(aad);
    const ct = Buffer.concat([cipher.update(randomBytes(48)), cipher.final()]);
    return { iv, ct, tag: cipher.getAuthTag() };
  });
  const started = performance.now();
  for (const { iv, ct, tag } of sealed) {
    const decipher = createDecipheriv("aes-256-gcm", key, iv).setAAD(aad);
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(ct), decipher.final()]);
    const cipher = createCipheriv("aes-256-gcm", key, randomBytes(12)).setAAD(aad);
    Buffer.concat([cipher.update(plain), cipher.final()]);
    cipher.getAuthTag();
    createHmac("sha256", hmacKey).update(plain).digest("base64url");
  }
  return (count * 1000) / (performance.now() - started);
}

/** The I/O floor: one raw HGET and one HSET per record, `concurrency` records in flight. */
async function rawRedis(client: Redis, count: number, concurrency: number): Promise<number> {
  const prefix = `credkit-bench-raw:${randomUUID()}:`;
  const value = randomBytes(400).toString("base64url");
  await Promise.all(Array.from({ length: count }, (_, i) => client.hset(`${prefix}${i}`, "r", value)));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const key = `${prefix}${next++}`;
        const read = await client.hget(key, "r");
        await client.hset(key, "r", read ?? value);
      }
    }),
  );
  const rate = (count * 1000) / (performance.now() - started);
  for (let i = 0; i < count; i += 500) {
    await client.del(...Array.from({ length: Math.min(500, count - i) }, (_, j) => `${prefix}${i + j}`));
  }
  return rate;
}

/**
 * Re-encryption from k1 to k2 of every record: the memory store against the raw crypto floor, and the
 * Redis store (scan + compare-and-set script per record) against a raw HGET + HSET per record at the
 * same concurrency. Prints a table, returns its rows (records/s as ops/s).
 */
export async function benchRotation(options: RotationBenchOptions = {}): Promise<Row[]> {
  const memoryCount = options.memoryRecords ?? 20_000;
  const redisCount = options.redisRecords ?? 5_000;
  const rows: Row[] = [];

  const memory = memoryStore();
  for (const record of sealedRecords(memoryCount)) await memory.create(record);
  const crypto = rawCrypto(memoryCount);
  const memoryRate = await timeJob(memory, memoryCount, 8);
  rows.push(
    { bench: "rotate (memory)", subject: "raw node:crypto open + seal + HMAC", "ops/s": crypto },
    {
      bench: "rotate (memory)",
      subject: "reencryptStore, memory store",
      "ops/s": memoryRate,
      ...ratio(memoryRate, crypto),
    },
  );

  const given = options.url ?? process.env.CREDKIT_TEST_REDIS_URL;
  const server = given ? undefined : await startScriptServer("redis.sh", "start-standalone");
  const client = new Redis(given ?? server?.address ?? "", redisClientOptions());
  try {
    for (const concurrency of [8, 32]) {
      const store = redisStore({ client, keyPrefix: `credkit-bench-rotate:${randomUUID()}:` });
      const records = sealedRecords(redisCount);
      for (let i = 0; i < records.length; i += 200) {
        await Promise.all(records.slice(i, i + 200).map((record) => store.create(record)));
      }
      const raw = await rawRedis(client, redisCount, concurrency);
      const rate = await timeJob(store, redisCount, concurrency);
      rows.push(
        {
          bench: `rotate (redis, ${concurrency} in flight)`,
          subject: "raw HGET + HSET per record",
          "ops/s": raw,
        },
        {
          bench: `rotate (redis, ${concurrency} in flight)`,
          subject: "reencryptStore, redis store",
          "ops/s": rate,
          ...ratio(rate, raw),
        },
      );
    }
  } finally {
    client.disconnect();
    await server?.stop();
  }
  printTable(
    `Key rotation: records re-encrypted per second (${memoryCount} in memory, ${redisCount} in Redis)`,
    rows,
  );
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await benchRotation();
