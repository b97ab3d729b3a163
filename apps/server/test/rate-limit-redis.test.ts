import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serversOnOneRedis, type startRedis } from "./support/real-servers.js";
import { killServers, type ServerProcess } from "./support/server-process.js";

const token = "rate-limit-token-0123456789";
let redis: Awaited<ReturnType<typeof startRedis>>;
let servers: ServerProcess[];

beforeAll(async () => {
  ({ redis, servers } = await serversOnOneRedis(2, token, { CREDKIT_RATE_LIMIT_PER_MINUTE: "6" }));
});
afterAll(async () => {
  killServers();
  await redis?.stop();
});

describe("rate limiting through Redis", () => {
  it("counts one token's requests across both processes", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const server = servers[i % 2] as ServerProcess;
      const res = await fetch(`${server.url}/api/clients/acme/credentials`, {
        headers: { Authorization: token },
      });
      statuses.push(res.status);
    }
    // Six allowed in all (not six per process), the rest refused.
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
  });
});
