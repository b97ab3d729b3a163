import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHaproxy } from "./support/haproxy.js";
import { startRedisCluster } from "./support/real-servers.js";
import { killServers, type ServerProcess, startServer, waitFor } from "./support/server-process.js";

// Three credkit instances behind Debian's HAProxy on a 3-master Redis Cluster; one is SIGKILLed in the
// middle of create / update / verify / single-use traffic.
const token = "haproxy-test-token-0123456789";
let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
let servers: ServerProcess[];
let haproxy: Awaited<ReturnType<typeof startHaproxy>>;

beforeAll(async () => {
  cluster = await startRedisCluster();
  const env = {
    CREDKIT_STORAGE: "redis",
    CREDKIT_REDIS_CLUSTER_NODES: cluster.nodes,
    CREDKIT_REGIONS: "*",
    CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
    CREDKIT_RATE_LIMIT_PER_MINUTE: "0",
    LOG_LEVEL: "warn",
  };
  servers = await Promise.all([startServer(env), startServer(env), startServer(env)]);
  haproxy = await startHaproxy(servers.map((s) => s.url));
}, 120_000);
afterAll(async () => {
  await haproxy?.stop();
  killServers();
  await cluster?.stop();
});

interface Answer {
  status: number;
  body: Record<string, unknown> & { credentials?: Record<string, unknown>[]; allowed?: boolean };
  startedAt: number;
  endedAt: number;
  /** The transport error, for status 0. */
  error?: string;
}

/** One call through the balancer; a transport failure is status 0 (never thrown). */
async function call(method: string, path: string, body?: unknown): Promise<Answer> {
  const startedAt = performance.now();
  try {
    const res = await fetch(`${haproxy.url}${path}`, {
      method,
      headers: {
        Authorization: token,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let parsed: Answer["body"] = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // HAProxy's own 502/503 pages are HTML.
    }
    return { status: res.status, body: parsed, startedAt, endedAt: performance.now() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      status: 0,
      body: {},
      startedAt,
      endedAt: performance.now(),
      error: cause?.code ?? cause?.message ?? String(error),
    };
  }
}

const ok = (a: Answer) => a.status >= 200 && a.status < 300;

describe("three instances behind HAProxy on a Redis Cluster, one killed mid-traffic", () => {
  it("keeps every answered create, every field, single use exactly once, and routes around the dead one", async () => {
    const clients = ["acme", "globex", "initech", "umbrella"];
    const shared = await call("POST", "/api/clients/acme/credentials", {
      credentialName: "n-0",
      credentialType: "target",
      authType: "none",
      region: "eu-west-1",
    });
    expect(shared.status).toBe(201);
    const sharedPath = `/api/clients/acme/credentials/${shared.body.credentials?.[0]?.credentialId}`;
    const singles: { clientId: string; keyValue: string; id: string }[] = [];
    for (let i = 0; i < 30; i++) {
      const clientId = clients[i % clients.length] as string;
      const keyValue = randomBytes(12).toString("hex");
      const made = await call("POST", `/api/clients/${clientId}/credentials`, {
        credentialName: `once-${i}`,
        credentialType: "proxy",
        authType: "apiKey",
        region: "eu-west-1",
        singleUse: true,
        secret: { keyName: "X-Once", keyValue },
      });
      expect(made.status).toBe(201);
      singles.push({ clientId, keyValue, id: made.body.credentials?.[0]?.credentialId as string });
    }

    const errors: Answer[] = [];
    const note = (a: Answer) => {
      if (!ok(a)) errors.push(a);
      return a;
    };
    let created = 0;
    let running = true;
    let killedAt = Number.POSITIVE_INFINITY;
    const answeredCreates: { clientId: string; id: string }[] = [];

    const creator = async (clientId: string) => {
      for (let i = 0; running; i++) {
        const a = note(
          await call("POST", `/api/clients/${clientId}/credentials`, {
            credentialName: `c-${i}`,
            credentialType: "target",
            authType: "custom",
            region: "eu-west-1",
            secret: { headers: { "X-Custom": `v-${i}` } },
          }),
        );
        if (a.status === 201) {
          answeredCreates.push({ clientId, id: a.body.credentials?.[0]?.credentialId as string });
          created++;
        }
      }
    };
    /** A writer that only ever sends its own field: its last answered value must survive the other's. */
    const writer = async (
      field: "credentialName" | "credentialDefaultRuleEffect",
      value: (i: number) => string,
    ) => {
      const log: { value: string; acked: boolean }[] = [];
      for (let i = 1; running; i++) {
        const a = note(await call("PUT", sharedPath, { [field]: value(i) }));
        log.push({ value: value(i), acked: a.status === 200 });
      }
      return log;
    };
    const singleUse = async () => {
      const outcomes: { allowed: number; errored: number }[] = [];
      for (const single of singles) {
        const answers = await Promise.all(
          Array.from({ length: 4 }, () =>
            call("POST", `/api/clients/${single.clientId}/verify`, {
              headers: { "x-once": single.keyValue },
            }),
          ),
        );
        answers.forEach(note);
        outcomes.push({
          allowed: answers.filter((a) => a.status === 200 && a.body.allowed === true).length,
          errored: answers.filter((a) => !ok(a)).length,
        });
      }
      return outcomes;
    };

    const traffic = Promise.all([
      ...clients.map(creator),
      writer("credentialName", (i) => `n-${i}`),
      writer("credentialDefaultRuleEffect", (i) => (i % 2 === 0 ? "allow" : "deny")),
    ]);
    const verifying = (async () => {
      // The single-use checks straddle the kill: half before it, half after.
      await waitFor(async () => created >= 20, 20_000, "traffic before the kill");
      return singleUse();
    })();

    await waitFor(async () => created >= 40, 30_000, "40 creates before the kill");
    const victim = servers[1] as ServerProcess;
    killedAt = performance.now();
    victim.child.kill("SIGKILL");
    await waitFor(
      async () => (await haproxy.stats()).find((s) => s.name === "s1")?.status.startsWith("DOWN") ?? false,
      10_000,
      "HAProxy to mark the killed instance DOWN",
    );
    const downAt = performance.now();
    const sentToDeadAtDown = (await haproxy.stats()).find((s) => s.name === "s1")?.total ?? -1;
    const createdAtDown = created;
    await waitFor(async () => created >= createdAtDown + 40, 30_000, "40 creates after the kill");
    const outcomes = await verifying;
    running = false;
    const [, , , , nameLog, effectLog] = (await traffic) as unknown as [
      unknown,
      unknown,
      unknown,
      unknown,
      { value: string; acked: boolean }[],
      { value: string; acked: boolean }[],
    ];

    const timeline = {
      killedAt,
      downAt,
      errors: errors.map((e) => ({
        s: e.status,
        from: e.startedAt,
        to: e.endedAt,
        error: e.error ?? e.body.code,
      })),
    };
    // The balancer stopped sending to the dead instance: errors only for requests begun before it
    // was marked down (in flight on it, or sent before the health check caught up), none after.
    expect(
      errors.every((e) => e.endedAt >= killedAt && e.startedAt <= downAt),
      JSON.stringify(timeline),
    ).toBe(true);
    expect(errors.every((e) => e.status === 502 || e.status === 503 || e.status === 0)).toBe(true);
    console.log(
      `haproxy: ${errors.length} error(s), DOWN ${Math.round(downAt - killedAt)} ms after the kill`,
      JSON.stringify(timeline),
    );
    expect((await haproxy.stats()).find((s) => s.name === "s1")?.total).toBe(sentToDeadAtDown);

    // Every create that was answered 201 is readable afterwards.
    for (const { clientId, id } of answeredCreates) {
      expect((await call("GET", `/api/clients/${clientId}/credentials/${id}`)).status).toBe(200);
    }

    // No field of the concurrent updates is lost: each writer's last answered value is there (or, if
    // its very last write failed in flight, that one, which may have landed).
    const finalRecord = (await call("GET", sharedPath)).body.credentials?.[0] ?? {};
    const expected = (log: { value: string; acked: boolean }[]) => {
      const lastAcked = log.findLastIndex((w) => w.acked);
      return log.slice(lastAcked).map((w) => w.value);
    };
    expect(expected(nameLog)).toContain(finalRecord.credentialName);
    expect(expected(effectLog)).toContain(finalRecord.credentialDefaultRuleEffect);

    // A single-use credential is allowed exactly once across the instances (at most once when one of
    // its attempts died with the instance, which may have spent it).
    for (const { allowed, errored } of outcomes) {
      expect(allowed).toBeLessThanOrEqual(1);
      if (errored === 0) expect(allowed).toBe(1);
    }
    for (const [i, single] of singles.entries()) {
      if ((outcomes[i]?.allowed ?? 0) === 1)
        expect((await call("GET", `/api/clients/${single.clientId}/credentials/${single.id}`)).status).toBe(
          404,
        );
    }
    expect(answeredCreates.length).toBeGreaterThanOrEqual(80);
  }, 60_000);

  it("revokes on every surviving instance from the delete's 200 on (confirmed across the Redis Cluster)", async () => {
    const keyValue = randomBytes(12).toString("hex");
    const made = await call("POST", "/api/clients/globex/credentials", {
      credentialName: "revoke-me",
      credentialType: "proxy",
      authType: "apiKey",
      region: "eu-west-1",
      secret: { keyName: "X-Revoke", keyValue },
    });
    expect(made.status).toBe(201);
    const alive = servers.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    expect(alive).toHaveLength(2);
    const verifyOn = async (server: ServerProcess) => {
      const res = await fetch(`${server.url}/api/clients/globex/verify`, {
        method: "POST",
        headers: { Authorization: token, "Content-Type": "application/json" },
        body: JSON.stringify({ headers: { "x-revoke": keyValue } }),
      });
      return ((await res.json()) as { allowed: boolean }).allowed;
    };
    for (const server of alive) {
      // Until a verdict is cached there (the create's own invalidation may overtake the first read).
      for (let i = 0; i < 3; i++) expect(await verifyOn(server)).toBe(true);
    }
    const path = `/api/clients/globex/credentials/${made.body.credentials?.[0]?.credentialId}`;
    expect((await call("DELETE", path)).status).toBe(200);
    // The delete answered once every subscribed instance confirmed it dropped the verdict.
    for (const server of alive) expect(await verifyOn(server)).toBe(false);
  });
});
