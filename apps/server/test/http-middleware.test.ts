import { once } from "node:events";
import type { AddressInfo } from "node:net";
import express from "express";
import { describe, expect, it } from "vitest";
import { apiRoutePattern } from "../src/http/request-context.js";
import { memoryCounter } from "../src/http/shared-counter.js";
import { requestTimeout } from "../src/http/timeout.js";

describe("server middleware", () => {
  it("answers 503 REQUEST_TIMEOUT when a handler does not answer in time", async () => {
    const app = express();
    app.use(requestTimeout(100));
    app.get("/slow", () => {
      // never answers
    });
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(await res.json()).toEqual({ message: "The request timed out", code: "REQUEST_TIMEOUT" });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("counts a fixed window per key and starts a new one when it lapses", async () => {
    let now = 1_000;
    const counter = memoryCounter(() => now);
    expect(await counter.hit("a", 60_000)).toEqual({ count: 1, resetMs: 60_000 });
    now += 30_000;
    expect(await counter.hit("a", 60_000)).toEqual({ count: 2, resetMs: 30_000 });
    expect(await counter.hit("b", 60_000)).toEqual({ count: 1, resetMs: 60_000 });
    now += 30_000;
    expect(await counter.hit("a", 60_000)).toEqual({ count: 1, resetMs: 60_000 });
  });
});

describe("apiRoutePattern", () => {
  it("names the API route of a path answered before routing, with ids replaced", () => {
    expect(apiRoutePattern("/api", "/clients/acme/credentials")).toBe("/api/clients/:clientId/credentials");
    expect(apiRoutePattern("/api", "/clients/acme/credentials/c1")).toBe(
      "/api/clients/:clientId/credentials/:credentialId",
    );
    expect(apiRoutePattern("/api", "/clients/acme/credentials/c1/resolve")).toBe(
      "/api/clients/:clientId/credentials/:credentialId/resolve",
    );
    expect(apiRoutePattern("/api", "/clients/acme/verify")).toBe("/api/clients/:clientId/verify");
  });

  it("keeps any other path `unmatched`, so a caller cannot invent label values", () => {
    for (const path of ["/", "/clients/acme", "/clients/acme/other", "/x/../clients/a/credentials/b/c/d"])
      expect(apiRoutePattern("/api", path)).toBe("unmatched");
  });
});
