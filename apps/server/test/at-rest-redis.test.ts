import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  atRestEnv,
  expectNothingSecretAtRest,
  startAtRestPeers,
  writeEverySecret,
} from "./support/at-rest.js";
import { startRedis } from "./support/real-servers.js";
import { killServers, startServer } from "./support/server-process.js";

let redis: Awaited<ReturnType<typeof startRedis>>;
let peers: Awaited<ReturnType<typeof startAtRestPeers>>;

beforeAll(async () => {
  [redis, peers] = await Promise.all([startRedis(), startAtRestPeers()]);
});
afterAll(async () => {
  killServers();
  await Promise.all([redis?.stop(), peers?.stop()]);
});

/**
 * Every byte the server left in Redis, read binary-safe: each key's name and its value, whatever
 * its type (string, hash, list, set, sorted set with scores, stream with entry ids).
 */
async function dumpRedis(raw: Redis): Promise<{ dump: Buffer; types: Set<string>; keys: string[] }> {
  const parts: Buffer[] = [];
  const names: string[] = [];
  const types = new Set<string>();
  let cursor = "0";
  do {
    const [next, keys] = await raw.scanBuffer(cursor, "COUNT", 1000);
    cursor = next.toString();
    for (const key of keys) {
      parts.push(key);
      names.push(key.toString("latin1"));
      const type = await raw.type(key);
      // A key that expired between the scan and its read holds nothing any more.
      if (type === "none") continue;
      types.add(type);
      if (type === "string") parts.push((await raw.getBuffer(key)) ?? Buffer.alloc(0));
      // HGETALL as raw replies: ioredis would decode field names as UTF-8 otherwise.
      else if (type === "hash") parts.push(...((await raw.callBuffer("HGETALL", key)) as Buffer[]));
      else if (type === "list") parts.push(...(await raw.lrangeBuffer(key, 0, -1)));
      else if (type === "set") parts.push(...(await raw.smembersBuffer(key)));
      else if (type === "zset") parts.push(...(await raw.zrangeBuffer(key, "0", "-1", "WITHSCORES")));
      else if (type === "stream")
        for (const [id, fields] of await raw.xrangeBuffer(key, "-", "+")) parts.push(id, ...fields);
      else throw new Error(`key of type ${type} not read`);
    }
  } while (cursor !== "0");
  return { dump: Buffer.concat(parts.flatMap((p) => [p, Buffer.from("\n")])), types, keys: names };
}

describe("at rest on a real Redis, through the server", () => {
  it("holds no secret of any kind, in clear, encoded or as an unkeyed digest, in any key of any type", async () => {
    const masterKey = randomBytes(32).toString("base64");
    const prefix = `atrest-${randomBytes(4).toString("hex")}:`;
    const server = await startServer({
      ...atRestEnv(masterKey),
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: redis.url,
      CREDKIT_REDIS_KEY_PREFIX: prefix,
    });
    const { secrets, ids } = await writeEverySecret(server.url, peers, masterKey);
    // At rest: nothing writes while the bytes are read.
    expect(await server.stop()).toBe(0);
    const raw = new Redis(redis.url);
    try {
      const { dump, types, keys } = await dumpRedis(raw);
      // Every key the deployment wrote (shared state included) lies under its configured prefix, so two
      // deployments on one Redis never share a key; then the dump read every key of every type.
      expect(keys.filter((key) => !key.startsWith(prefix))).toEqual([]);
      // Lists hold the event logs and outbox queues: the check must have read them.
      expect([...types].sort()).toContain("list");
      expectNothingSecretAtRest(dump, secrets, ids);
    } finally {
      raw.disconnect();
    }
  });
});
