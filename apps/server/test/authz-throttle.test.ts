// Issue 20 item 1: guessing is not free. Failed /authz attempts are counted per caller address (the
// trusted proxy's X-Forwarded-For / X-Real-IP, else the peer); past the limit the caller gets 429 with
// Retry-After before any token check or store lookup, a valid caller from another address is not
// starved, and refusals are summarised per address instead of an audit line per request. Failures on
// a presented Basic username are also counted across addresses: once it is under attack, addresses
// that failed get 429 on it, addresses that did not (its owner's) still pass.
import { randomBytes, randomUUID } from "node:crypto";
import { request } from "node:http";
import { Writable } from "node:stream";
import { type AuditEvent, type CredentialStore, createCredentialService, createKeyring } from "@credkit/core";
import { memoryStore } from "@credkit/test-support";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trustedProxies } from "../src/authz/caller-address.js";
import { callerThrottle } from "../src/authz/caller-throttle.js";
import { type AuthzListener, createAuthzListener } from "../src/authz/listener.js";
import { memoryCounter, redisCounter, type SharedCounter } from "../src/http/shared-counter.js";
import { createLogger } from "../src/logger.js";
import { apiClient } from "./support/api-client.js";
import { type NginxProcess, renderGateway, startNginx } from "./support/nginx.js";
import { startRedis } from "./support/real-servers.js";
import { type ServerProcess, startServer, waitFor } from "./support/server-process.js";

const gateway = `gateway-${randomBytes(12).toString("hex")}`;
const key = `key-${randomBytes(12).toString("hex")}`;
const password = `pw-${randomBytes(12).toString("hex")}`;
const LIMIT = 5;

const basic = (username: string, secret: string) => ({
  Authorization: `Basic ${Buffer.from(`${username}:${secret}`).toString("base64")}`,
});

/** A store counting its lookups: a throttled request must not reach it. */
function countingStore() {
  const store = memoryStore();
  let lookups = 0;
  const counted: CredentialStore = {
    ...store,
    findByLookup(...args) {
      lookups++;
      return store.findByLookup(...args);
    },
    findByLookups(...args) {
      lookups++;
      return store.findByLookups(...args);
    },
  };
  return { store: counted, lookups: () => lookups };
}

async function listenerWith(options: {
  trusted: string[];
  counter?: SharedCounter;
  /** False: no throttle at all (CREDKIT_AUTHZ_FAILURE_LIMIT_PER_MINUTE=0). */
  throttle?: boolean;
}) {
  const { store, lookups } = countingStore();
  const service = createCredentialService({
    regions: { "eu-west-1": store },
    keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
    defaultRegion: "eu-west-1",
  });
  const admin = { userId: "admin", clientIds: "*" as const };
  await service.create(admin, "acme", {
    credentialName: "partner",
    credentialType: "proxy",
    authType: "apiKey",
    secret: { keyName: "X-Api-Key", keyValue: key },
  });
  await service.create(admin, "acme", {
    credentialName: "svc",
    credentialType: "proxy",
    authType: "basicAuth",
    secret: { username: "svc", password },
  });
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    "info",
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  const audit: AuditEvent[] = [];
  const listener: AuthzListener = createAuthzListener({
    service,
    tokens: [{ token: gateway, userId: "nginx", clientIds: ["acme"], scopes: ["authz"] }],
    logger,
    audit: { record: (event) => audit.push(event) },
    refusalSummaryMs: 3_600_000,
    ...(options.throttle === false
      ? {}
      : {
          throttle: callerThrottle({
            failuresPerMinute: LIMIT,
            counter: options.counter ?? memoryCounter(),
            keyOf: (bucket) => bucket,
            logger,
            summaryMs: 3_600_000,
          }),
        }),
    trustedProxies: trustedProxies(options.trusted),
  });
  const port = await listener.listen(0, "127.0.0.1");
  const ask = async (headers: Record<string, string>) => {
    const res = await fetch(`http://127.0.0.1:${port}/authz/acme`, {
      headers: { "X-Credkit-Token": gateway, ...headers },
    });
    const text = await res.text();
    return {
      status: res.status,
      retryAfter: res.headers.get("retry-after"),
      body: text ? JSON.parse(text) : text,
    };
  };
  return { listener, ask, lookups, lines, audit };
}

describe("the per-caller throttle on /authz (in process)", () => {
  it("answers 429 + Retry-After past the limit, before any lookup; another address still passes", async () => {
    const { listener, ask, lookups } = await listenerWith({ trusted: ["loopback"] });
    try {
      const guesser = { "X-Forwarded-For": "203.0.113.7" };
      for (let i = 0; i < LIMIT; i++)
        expect((await ask({ ...guesser, "X-Api-Key": `guess-${randomUUID()}` })).status).toBe(401);
      const before = lookups();
      for (let i = 0; i < 20; i++) {
        const res = await ask({ ...guesser, "X-Api-Key": `guess-${randomUUID()}` });
        expect(res.status).toBe(429);
        expect(Number(res.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(res.retryAfter)).toBeLessThanOrEqual(60);
        expect(res.body).toMatchObject({ allowed: false, reason: "RATE_LIMITED" });
      }
      // Even the right key does not pass from a throttled address, and none of this reached the store.
      expect((await ask({ ...guesser, "X-Api-Key": key })).status).toBe(429);
      expect(lookups()).toBe(before);
      // A valid caller behind the same proxy, from another address, is not starved.
      expect((await ask({ "X-Forwarded-For": "203.0.113.8", "X-Api-Key": key })).status).toBe(200);
      expect((await ask({ "X-Real-IP": "198.51.100.1", "X-Api-Key": key })).status).toBe(200);
    } finally {
      await listener.close();
    }
  });

  it("believes forwarding headers only from a trusted proxy: a forged X-Forwarded-For changes nothing", async () => {
    const { listener, ask } = await listenerWith({ trusted: [] });
    try {
      for (let i = 0; i < LIMIT; i++)
        expect((await ask({ "X-Forwarded-For": `198.51.100.${i}`, "X-Api-Key": `g-${i}` })).status).toBe(401);
      const rotated = await ask({
        "X-Forwarded-For": "198.51.100.99",
        "X-Real-IP": "192.0.2.1",
        "X-Api-Key": key,
      });
      expect(rotated.status).toBe(429);
    } finally {
      await listener.close();
    }
  });

  it("throttles a random X-Credkit-Token flood with no audit line per request, summarised per address", async () => {
    const { listener, ask, audit, lines } = await listenerWith({ trusted: ["loopback"] });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const res = await ask({ "X-Credkit-Token": randomUUID(), "X-Forwarded-For": "192.0.2.66" });
        statuses.push(res.status);
      }
      expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
      expect(statuses.slice(LIMIT)).toEqual(Array(30 - LIMIT).fill(429));
      expect(audit.filter((e) => e.action === "authorization.failed")).toEqual([]);
    } finally {
      await listener.close();
    }
    const summary = lines.filter((l) => l.msg === "authz refusals");
    expect(summary).toHaveLength(1);
    // At info (pino's number or its label, whichever the logger writes).
    expect([30, "info"]).toContain(summary[0]?.level);
    expect(summary[0]).toMatchObject({
      refusedByAddress: { "192.0.2.66": LIMIT },
      throttledByAddress: { "192.0.2.66": 30 - LIMIT },
      reasons: { PROXY_TOKEN_INVALID: LIMIT, RATE_LIMITED: 30 - LIMIT },
    });
    expect(JSON.stringify(lines)).not.toContain(gateway);
  });

  it("with the throttle off, a random-token flood is still one summary line per address, not an audit line each", async () => {
    const { listener, ask, audit, lines } = await listenerWith({ trusted: ["loopback"], throttle: false });
    try {
      for (let i = 0; i < 30; i++) {
        const res = await ask({ "X-Credkit-Token": randomUUID(), "X-Forwarded-For": "192.0.2.67" });
        expect(res.status).toBe(401);
      }
      expect(audit).toEqual([]);
    } finally {
      await listener.close();
    }
    expect(lines.filter((l) => l.msg !== "authz refusals")).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ refusedByAddress: { "192.0.2.67": 30 }, throttledByAddress: {} });
  });

  it("throttles the guessers of one Basic username across addresses without locking its owner out", async () => {
    const { listener, ask, lookups } = await listenerWith({ trusted: ["loopback"] });
    try {
      // LIMIT addresses, one wrong password each: none is over its own limit, the username is.
      const guessers = Array.from({ length: LIMIT }, (_, i) => `203.0.113.${100 + i}`);
      for (const address of guessers) {
        const res = await ask({ "X-Forwarded-For": address, ...basic("svc", `guess-${randomUUID()}`) });
        expect(res.status).toBe(401);
      }
      const before = lookups();
      for (const address of guessers) {
        // Even the right password, from an address that failed: refused unread while the attack lasts.
        const res = await ask({ "X-Forwarded-For": address, ...basic("svc", password) });
        expect(res.status).toBe(429);
        expect(Number(res.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(res.retryAfter)).toBeLessThanOrEqual(60);
      }
      expect(lookups()).toBe(before);
      // The owner, from an address that has not failed, is not locked out by the others' guessing.
      expect((await ask({ "X-Forwarded-For": "198.51.100.20", ...basic("svc", password) })).status).toBe(200);
      // A new guessing address gets one failure on the username, then 429 (not LIMIT failures).
      const fresh = { "X-Forwarded-For": "203.0.113.200" };
      expect((await ask({ ...fresh, ...basic("svc", `guess-${randomUUID()}`) })).status).toBe(401);
      expect((await ask({ ...fresh, ...basic("svc", `guess-${randomUUID()}`) })).status).toBe(429);
      // The block is on that username only: the same addresses still get answers for others.
      const other = await ask({ "X-Forwarded-For": guessers[0] as string, ...basic("other", password) });
      expect(other.status).toBe(401);
      expect((await ask({ "X-Forwarded-For": guessers[1] as string, "X-Api-Key": key })).status).toBe(200);
    } finally {
      await listener.close();
    }
  });

  it("logs a counter outage once when it starts and then as one count, never a line per refusal", async () => {
    const down: SharedCounter = { hit: () => Promise.reject(new Error("connection refused")) };
    const { listener, ask, lines } = await listenerWith({ trusted: ["loopback"], counter: down });
    try {
      for (let i = 0; i < 40; i++) {
        // Refusals are still answered, and nothing is counted: no 429 ever comes.
        const res = await ask({ "X-Forwarded-For": "192.0.2.70", "X-Api-Key": `guess-${randomUUID()}` });
        expect(res.status).toBe(401);
      }
      await waitFor(
        async () => lines.some((l) => l.msg === "authz throttle counter unavailable"),
        5_000,
        "the warning",
      );
    } finally {
      await listener.close();
    }
    const warnings = lines.filter((l) => l.msg === "authz throttle counter unavailable");
    expect(warnings).toHaveLength(2);
    expect([40, "warn"]).toContain(warnings[0]?.level);
    expect(warnings[0]).toMatchObject({ err: { message: "connection refused" } });
    expect(warnings[1]).toMatchObject({ uncounted: 40 });
  });
});

describe("callerThrottle's idle state (valid callers skip reading their address while it holds)", () => {
  it("is idle until an address or identity is held back, and again once the blocks lapsed and were swept", async () => {
    let clock = 1_000_000;
    const throttle = callerThrottle({
      failuresPerMinute: 2,
      counter: memoryCounter(() => clock),
      keyOf: (bucket) => bucket,
      logger: createLogger("silent"),
      now: () => clock,
    });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    expect(throttle.idle()).toBe(true);
    throttle.failed("192.0.2.1");
    await settle();
    // One failure, under the limit: nobody is held back yet.
    expect(throttle.idle()).toBe(true);
    throttle.failed("192.0.2.1", "acme\nalice");
    throttle.failed("192.0.2.3", "acme\nalice");
    await settle();
    expect(throttle.idle()).toBe(false);
    expect(throttle.retryAfter("192.0.2.1", null)).toBeGreaterThan(0);
    // The identity is under attack: an address that failed on it waits, one that never failed passes.
    expect(throttle.retryAfter("192.0.2.3", "acme\nalice")).toBeGreaterThan(0);
    expect(throttle.retryAfter("192.0.2.2", "acme\nalice")).toBe(0);
    clock += 61_000;
    // Lapsed but not swept yet: not idle (safe: the listener then asks retryAfter, which says 0).
    expect(throttle.idle()).toBe(false);
    expect(throttle.retryAfter("192.0.2.1", null)).toBe(0);
    throttle.stop(); // sweeps what lapsed (the summary timer does it every interval)
    expect(throttle.idle()).toBe(true);
  });

  it("is always idle when off (limit 0)", () => {
    const throttle = callerThrottle({
      failuresPerMinute: 0,
      counter: memoryCounter(),
      keyOf: (bucket) => bucket,
      logger: createLogger("silent"),
    });
    throttle.failed("192.0.2.1");
    expect(throttle.idle()).toBe(true);
    throttle.stop();
  });
});

describe("the throttle shared through a real Redis", () => {
  it("stops a guesser that moves to another process after at most one more failure there", async () => {
    const redis = await startRedis();
    const client = new Redis(redis.url);
    const prefix = `credkit-test:${randomUUID()}:`;
    const a = await listenerWith({ trusted: ["loopback"], counter: redisCounter(client, prefix) });
    const b = await listenerWith({ trusted: ["loopback"], counter: redisCounter(client, prefix) });
    try {
      const guesser = { "X-Forwarded-For": "203.0.113.50" };
      for (let i = 0; i < LIMIT; i++)
        expect((await a.ask({ ...guesser, "X-Api-Key": `guess-${randomUUID()}` })).status).toBe(401);
      // The counter write is not awaited by the answer: wait until the shared count shows it.
      await waitFor(
        async () => Number(await client.get(`${prefix}authz-failure\n203.0.113.50`)) >= LIMIT,
        5_000,
        "the shared count",
      );
      expect((await a.ask({ ...guesser, "X-Api-Key": key })).status).toBe(429);
      // Process b has not seen this address fail: its next failure there learns the shared count.
      expect((await b.ask({ ...guesser, "X-Api-Key": `guess-${randomUUID()}` })).status).toBe(401);
      await waitFor(
        async () => (await b.ask({ ...guesser, "X-Api-Key": key })).status === 429,
        5_000,
        "b throttles",
      );
      // Another address passes on both.
      expect((await a.ask({ "X-Forwarded-For": "203.0.113.51", "X-Api-Key": key })).status).toBe(200);
      expect((await b.ask({ "X-Forwarded-For": "203.0.113.51", "X-Api-Key": key })).status).toBe(200);

      // A Basic username guessed from many addresses on process a is under attack on b too.
      for (let i = 0; i < LIMIT; i++) {
        const res = await a.ask({ "X-Forwarded-For": `203.0.113.${60 + i}`, ...basic("svc", `g-${i}`) });
        expect(res.status).toBe(401);
      }
      await waitFor(
        async () => Number(await client.get(`${prefix}authz-identity-failure\nacme\nsvc`)) >= LIMIT,
        5_000,
        "the username's shared count",
      );
      // On b, a new guessing address's first failure there learns it, and it is stopped at once.
      const fresh = { "X-Forwarded-For": "203.0.113.90" };
      expect((await b.ask({ ...fresh, ...basic("svc", "g-on-b") })).status).toBe(401);
      await waitFor(
        async () => (await b.ask({ ...fresh, ...basic("svc", password) })).status === 429,
        5_000,
        "b throttles the username's guesser",
      );
      // The owner, from an address that never failed, passes on both.
      expect((await a.ask({ "X-Forwarded-For": "198.51.100.30", ...basic("svc", password) })).status).toBe(
        200,
      );
      expect((await b.ask({ "X-Forwarded-For": "198.51.100.30", ...basic("svc", password) })).status).toBe(
        200,
      );
    } finally {
      await a.listener.close();
      await b.listener.close();
      client.disconnect();
      await redis.stop();
    }
  }, 60_000);
});

// The attack of the issue, through the shipped nginx example and a real credkit process.
describe("brute force through nginx", () => {
  const admin = "admin-token-0123456789";
  let credkit: ServerProcess;
  let nginx: NginxProcess;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    credkit = await startServer({
      CREDKIT_USER_TOKENS: JSON.stringify([
        { token: admin, userId: "ops", clientIds: "*" },
        { token: gateway, userId: "nginx-gw", clientIds: ["acme"], scopes: ["authz"] },
      ]),
      CREDKIT_AUTHZ_PORT: "0",
      CREDKIT_TRUSTED_PROXIES: "loopback",
      CREDKIT_DEFAULT_REGION: "eu-west-1",
    });
    await waitFor(async () => /authz listening/.test(credkit.output()), 15_000, "the authz listener");
    const authz = (/authz listening on http:\/\/([\d.]+:\d+)/.exec(credkit.output()) as RegExpExecArray)[1];
    api = apiClient(credkit.url, admin);
    nginx = await startNginx((listen) =>
      renderGateway({
        LISTEN: listen,
        CREDKIT_AUTHZ: authz as string,
        UPSTREAM: "127.0.0.1:9", // never reached by a refused request; a 200 is checked by status only
        CREDKIT_CLIENT_ID: "acme",
        CREDKIT_TARGET_ID: "",
        CREDKIT_AUTHZ_TOKEN: gateway,
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    await credkit?.stop();
  });

  /** GET through nginx from a given loopback source address (each its own caller to nginx). */
  function from(
    localAddress: string,
    apiKey: string | Record<string, string>,
  ): Promise<{ status: number; retryAfter?: string }> {
    const url = new URL(`${nginx.url}/api/thing`);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          localAddress,
          headers: typeof apiKey === "string" ? { "X-Api-Key": apiKey } : apiKey,
        },
        (res) => {
          res.resume();
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: res.headers["retry-after"] as string | undefined,
            }),
          );
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  it("refuses a 2-character key; with a 16-character one, a guesser gets 429 long before the space is searched", async () => {
    const body = (keyValue: string) => ({
      credentialName: "partner",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue },
    });
    const weak = await api("POST", "/api/clients/acme/credentials", body("ab"));
    expect(weak.status).toBe(400);
    expect(weak.body.errors[0].path).toBe("secret.keyValue");
    const strong = "k".repeat(10) + randomBytes(3).toString("hex"); // 16 characters
    expect((await api("POST", "/api/clients/acme/credentials", body(strong))).status).toBe(201);

    // The default limit is 60 failures per address per minute: the 61st guess is refused unread.
    const statuses: number[] = [];
    for (let i = 0; i < 80; i++) statuses.push((await from("127.0.0.2", `guess-${randomUUID()}`)).status);
    const first429 = statuses.indexOf(429);
    expect(statuses.slice(0, 60)).toEqual(Array(60).fill(401));
    expect(first429).toBe(60);
    expect(statuses.slice(first429).every((s) => s === 429)).toBe(true);
    const throttled = await from("127.0.0.2", strong);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.retryAfter)).toBeGreaterThanOrEqual(1);
    // A valid caller from another address goes through (nginx then fails to reach the dummy upstream:
    // 502, which only a request that passed auth_request can get).
    expect((await from("127.0.0.3", strong)).status).toBe(502);
    expect((await from("127.0.0.3", `guess-${randomUUID()}`)).status).toBe(401);
  }, 60_000);

  it("stops a Basic password guessed from many addresses, one failure each, while its owner still passes", async () => {
    const owner = `owner-${randomBytes(8).toString("hex")}`;
    const created = await api("POST", "/api/clients/acme/credentials", {
      credentialName: "svc",
      credentialType: "proxy",
      authType: "basicAuth",
      secret: { username: "svc", password: owner },
    });
    expect(created.status).toBe(201);
    // 60 addresses (the default limit), one wrong password each: no address is near its own limit.
    for (let i = 1; i <= 60; i++)
      expect((await from(`127.0.1.${i}`, basic("svc", `guess-${randomUUID()}`))).status).toBe(401);
    // Now the username is under attack: an address that guessed is refused unread, even with the password.
    await waitFor(
      async () => (await from("127.0.1.1", basic("svc", owner))).status === 429,
      5_000,
      "the guessing address is throttled on the username",
    );
    // A 61st address gets one guess, not 60.
    expect((await from("127.0.1.61", basic("svc", `guess-${randomUUID()}`))).status).toBe(401);
    expect((await from("127.0.1.61", basic("svc", `guess-${randomUUID()}`))).status).toBe(429);
    // The owner, from an address that did not fail, passes auth_request (502: the dummy upstream).
    expect((await from("127.0.2.1", basic("svc", owner))).status).toBe(502);
  }, 60_000);
});
