import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Authenticate, tokenAuthenticator } from "@credkit/express";
import express from "express";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type RateLimits, rateLimit } from "../src/http/rate-limit.js";
import { memoryCounter } from "../src/http/shared-counter.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.close();
    await once(server, "close");
  }
});

/** An app whose API (under /api) is the rate limiter in front of a route that answers 200. */
async function limitedApp(authenticate: Authenticate, limits: Partial<RateLimits>): Promise<string> {
  const app = express();
  app.use(
    "/api",
    rateLimit({
      limits: {
        perMinute: 0,
        dataPlanePerMinute: 0,
        authFailuresPerMinute: 0,
        publicPerMinute: 0,
        ...limits,
      },
      counter: memoryCounter(),
      publicCounter: memoryCounter(),
      authenticate,
      keyOf: (bucket) => bucket,
      logger: pino({ level: "silent" }),
    }),
    (_req, res) => {
      // The shape of a list answer: every answer a server test sees is checked against the API contract.
      res.json({ credentials: [], message: "Success" });
    },
  );
  const server = createServer(app).listen(0, "127.0.0.1");
  servers.push(server);
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/clients/acme/credentials`;
}

describe("the rate limiter's authentication", () => {
  it("waits for an authenticator that answers later, a bare thenable too: its null is a failed authentication", async () => {
    // Not a Promise, only a `then`: taken for an actor, it would pass unlimited as the management API.
    const later: Authenticate = () =>
      // biome-ignore lint/suspicious/noThenProperty: a thenable that is no Promise, on purpose
      ({ then: (resolve: (actor: null) => void) => resolve(null) }) as unknown as Promise<null>;
    const url = await limitedApp(later, { authFailuresPerMinute: 1 });
    expect((await fetch(url)).status).toBe(200);
    const refused = await fetch(url);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { code: string }).code).toBe("RATE_LIMITED");
  });

  it("counts a caller a synchronous authenticator knows against its own limit", async () => {
    const url = await limitedApp(
      tokenAuthenticator([{ token: "t-0123456789", userId: "u", clientIds: "*" }]),
      {
        perMinute: 1,
      },
    );
    const headers = { authorization: "t-0123456789" };
    const first = await fetch(url, { headers });
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-remaining")).toBe("0");
    expect((await fetch(url, { headers })).status).toBe(429);
  });

  it("lets a request through with no count and no limit headers when its limit is off", async () => {
    const url = await limitedApp(
      tokenAuthenticator([{ token: "t-0123456789", userId: "u", clientIds: "*" }]),
      {
        authFailuresPerMinute: 1,
      },
    );
    for (let i = 0; i < 3; i++) {
      const passed = await fetch(url, { headers: { authorization: "t-0123456789" } });
      expect(passed.status).toBe(200);
      expect(passed.headers.get("ratelimit-limit")).toBeNull();
    }
  });

  it("answers 503 when the authenticator fails, as when the counter does", async () => {
    const url = await limitedApp(
      () => {
        throw new Error("session store down");
      },
      { authFailuresPerMinute: 1 },
    );
    const failed = await fetch(url);
    expect(failed.status).toBe(503);
    expect(((await failed.json()) as { code: string }).code).toBe("STORAGE_UNAVAILABLE");
  });
});
