import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis } from "./support/real-servers.js";
import { killServers, startServer, waitFor } from "./support/server-process.js";

// What an operator reads: stdout is JSON lines only, readable levels and times, the process on every
// line, and health probes kept out of the info stream.
let redis: Awaited<ReturnType<typeof startRedis>>;
beforeAll(async () => {
  redis = await startRedis();
}, 120_000);
afterAll(async () => {
  killServers();
  await redis?.stop();
});

describe("the server's logs", () => {
  it("are JSON lines with level names, ISO times and the worker on every line; probes at debug", async () => {
    const key = randomBytes(32).toString("base64");
    const server = await startServer({
      HOST: "127.0.0.1",
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: redis.url,
      CREDKIT_REGIONS: "eu-west-1",
      CREDKIT_KEYRING: JSON.stringify([{ id: "logs-key-1", key }]),
      CREDKIT_USER_TOKENS: JSON.stringify([
        { token: "logs-token-0123456789", userId: "ops", clientIds: "*" },
      ]),
      CREDKIT_WORKERS: "2",
      LOG_LEVEL: "info",
    });
    for (let i = 0; i < 5; i++) {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    }
    expect((await fetch(`${server.url}/api/clients/acme/credentials`)).status).toBe(401);
    const parsed = () =>
      server
        .stdout()
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    // Both workers have started (each logs its store line) before the stop: the request line alone comes
    // from whichever worker answered, and a loaded machine can leave the other one still starting.
    await waitFor(
      async () => {
        const lines = parsed();
        const started = new Set(
          lines.filter((l) => String(l.msg).startsWith("store redis ")).map((l) => l.worker),
        );
        return lines.some((l) => l.msg === "request") && started.size === 2;
      },
      30_000,
      "the request line and both workers' start lines",
    );
    expect(await server.stop()).toBe(0);

    const lines = parsed();
    // The banner and the generated-token notice are for a person: on stderr, never on stdout.
    expect(server.stdout()).not.toContain("credkit listening on");
    expect(server.output()).toContain("credkit listening on");
    for (const line of lines) {
      expect(line.level).toMatch(/^(fatal|error|warn|info|debug|trace)$/);
      expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(line.worker === "primary" || typeof line.worker === "number").toBe(true);
    }
    expect(lines.some((l) => l.worker === "primary")).toBe(true);
    expect(lines.find((l) => l.msg === "request")).toMatchObject({ status: 401, worker: expect.any(Number) });
    expect(lines.filter((l) => l.route === "/healthz" || l.route === "/readyz")).toEqual([]);
    // The banner names the address it is bound to, not "localhost".
    expect(server.output()).toMatch(/credkit listening on http:\/\/127\.0\.0\.1:\d+ /);
    // At start, each worker names its store (where, which regions) and the key it seals under.
    const workerIds = new Set(lines.filter((l) => typeof l.worker === "number").map((l) => l.worker));
    expect(workerIds.size).toBe(2);
    for (const worker of workerIds) {
      const own = lines.filter((l) => l.worker === worker);
      expect(own.find((l) => String(l.msg).startsWith("store redis "))).toMatchObject({
        regions: ["eu-west-1"],
      });
      expect(own.find((l) => String(l.msg).startsWith("keyring: "))).toMatchObject({
        msg: 'keyring: active key "logs-key-1" of 1',
        activeKeyId: "logs-key-1",
      });
    }
    expect(server.output()).not.toContain(key);
  }, 90_000);
});
