// @credkit/storage-redis vs raw ioredis on a redis-server this bench starts itself (scripts/redis.sh).
// Run: pnpm bench redis (or node --conditions=credkit-source --import tsx bench/redis-store.ts)
import { randomBytes, randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { redisClientOptions, redisKeys, redisStore } from "@credkit/storage-redis";
import { Redis } from "ioredis";
import { benchRecord, startScriptServer } from "./fixtures.js";
import { compareWithRaw, type StoreSubject } from "./measure.js";
import { printTable, type Row } from "./table.js";

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

const clientIds = Array.from({ length: 20 }, (_, i) => `bench-client-${i}`);

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

const record = () => benchRecord(pick(clientIds), true);

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
  const server = given ? undefined : await startScriptServer("redis.sh", "start-standalone");
  const url = given ?? server?.address ?? "";
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

    const subjects: StoreSubject[] = [
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

    const rows = await compareWithRaw(subjects, { rounds, roundMs, concurrency, target: 0.7 });
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
