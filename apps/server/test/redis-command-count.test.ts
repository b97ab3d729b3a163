import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { serversOnOneRedis } from "./support/real-servers.js";
import { killServers, type ServerProcess } from "./support/server-process.js";

// Issue 20 item 3, on real Redis: one request with 64 key-like headers used to become ~128 commands
// (a script per candidate). Every candidate now goes to the store in one `findByLookups` script, so a
// stuffed request costs the store what a normal one does. Counted with MONITOR, as Redis ran them.
const token = "redis-count-token-0123456789abcdef";
let redis: Awaited<ReturnType<typeof serversOnOneRedis>>["redis"];
let server: ServerProcess;
let watcher: Redis;
let marker: Redis;
const seen: string[][] = [];

beforeAll(async () => {
  const started = await serversOnOneRedis(1, token);
  redis = started.redis;
  server = started.servers[0] as ServerProcess;
  watcher = await new Redis(redis.url).monitor();
  // Commands a script runs appear too, from source "lua": only what clients sent is a round trip.
  watcher.on("monitor", (_time: string, args: string[], source: string) => {
    if (source !== "lua") seen.push(args);
  });
  marker = new Redis(redis.url);
}, 120_000);
afterAll(async () => {
  killServers();
  watcher?.disconnect();
  marker?.disconnect();
  await redis?.stop();
});

/**
 * The commands Redis ran while `call` did, in order. MONITOR streams commands in the order Redis runs
 * them: an ECHO sent after the call returns arrives after every command the call caused.
 */
async function commandsOf<T>(call: () => Promise<T>): Promise<{ commands: string[][]; result: T }> {
  const start = `start-${randomUUID()}`;
  const end = `end-${randomUUID()}`;
  await marker.echo(start);
  const result = await call();
  await marker.echo(end);
  const has = (text: string) =>
    seen.findIndex((args) => args[0]?.toLowerCase() === "echo" && args[1] === text);
  while (has(end) < 0) await new Promise((resolve) => setImmediate(resolve));
  const commands = seen.slice(has(start) + 1, has(end));
  seen.length = 0;
  return { commands, result };
}

/** The commands on the client's own keys (its hash tag): the store's work, not the throttle's. */
const onClient = (commands: string[][], clientId: string) => {
  const tag = `{c:${Buffer.from(clientId, "utf8").toString("base64url")}}`;
  return commands.filter((args) => args.some((arg) => arg.includes(tag)));
};

describe("Redis commands per verification, through the running server", () => {
  it("a request with 64 key-like headers costs one store script, like a normal one", async () => {
    const api = apiClient(server.url, token);
    const clientId = `acme-${randomUUID().slice(0, 8)}`;
    const keyValue = `key-${randomUUID()}`;
    const created = await api("POST", `/api/clients/${clientId}/credentials`, {
      credentialName: "partner",
      credentialType: "proxy",
      authType: "apiKey",
      region: "eu-west-1",
      secret: { keyName: "X-Api-Key", keyValue },
    });
    expect(created.status).toBe(201);
    const verify = (headers: Record<string, string>) =>
      api("POST", `/api/clients/${clientId}/verify`, { headers });

    // The first call loads the script (EVALSHA answers NOSCRIPT, then EVAL): not the steady cost.
    await verify({ "x-api-key": `warm-up-${randomUUID()}` });
    const normal = await commandsOf(() => verify({ "x-api-key": keyValue, "user-agent": "curl/8" }));
    expect(normal.result.body).toMatchObject({ allowed: true });
    const normalStore = onClient(normal.commands, clientId);
    expect(normalStore).toHaveLength(1);
    expect(normalStore[0]?.[0]?.toLowerCase()).toBe("evalsha");

    // Fresh guesses each time: the near cache has never seen them, every one goes to the store.
    const guesses = (n: number, name = "x-key") =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`${name}-${i}`, `guess-${randomUUID()}`]));
    const refused = await commandsOf(() => verify(guesses(1)));
    expect(refused.result.body).toMatchObject({ allowed: false });
    const stuffed = await commandsOf(() => verify(guesses(64)));
    expect(stuffed.result.body).toMatchObject({ allowed: false });
    const stuffedStore = onClient(stuffed.commands, clientId);
    expect(stuffedStore).toHaveLength(1);
    // The one script carried the 32 capped candidates: numkeys 1, the ids key, now, then the hashes.
    expect(stuffedStore[0]?.slice(5)).toHaveLength(32);
    // And the whole request (throttle counters included) costs what a one-header refusal costs.
    expect(stuffed.commands.map((args) => args[0])).toStrictEqual(refused.commands.map((args) => args[0]));

    // The key after 40 unrelated headers: a key-like name is looked up first, found, one script.
    const hidden = await commandsOf(() => verify({ ...guesses(40, "x-h"), "x-api-key": keyValue }));
    expect(hidden.result.body).toMatchObject({ allowed: true });
    expect(onClient(hidden.commands, clientId)).toHaveLength(1);
  });
});
