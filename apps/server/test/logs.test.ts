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
    const server = await startServer({
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: redis.url,
      CREDKIT_REGIONS: "eu-west-1",
      CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
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
    await waitFor(async () => parsed().some((l) => l.msg === "request"), 10_000, "the request line");
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
  }, 90_000);
});
