import { once } from "node:events";
import type { AddressInfo } from "node:net";
import express from "express";
import helmet from "helmet";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { apiRoutePattern, requestContext } from "../src/http/request-context.js";
import { helmetHeaders } from "../src/http/security-headers.js";
import { memoryCounter } from "../src/http/shared-counter.js";
import { requestDeadlines } from "../src/http/timeout.js";

const silent = pino({ enabled: false });
/** The server's request layer with the request timeout alone (no headers, no observers). */
const requestTimeout = (ms: number) => requestContext({ logger: silent, deadlines: requestDeadlines(ms) });

/** The headers an app answers `GET /` with, minus those that change per response. */
async function headersOf(app: express.Express): Promise<Record<string, string>> {
  app.get("/", (_req, res) => {
    res.json({});
  });
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const headers = Object.fromEntries(res.headers);
    for (const name of ["date", "etag", "keep-alive", "connection", "content-length", "x-request-id"])
      delete headers[name];
    return headers;
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

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
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(await res.json()).toEqual({ message: "The request timed out", code: "REQUEST_TIMEOUT" });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("sets exactly the headers helmet sets, computed once", async () => {
    const expected = await headersOf(express().use(helmet()));
    expect(Object.keys(expected)).toContain("content-security-policy");
    // helmet also removes X-Powered-By, which the server turns off itself (`app.disable`).
    const precomputed = requestContext({ logger: silent, headers: helmetHeaders() });
    expect(await headersOf(express().disable("x-powered-by").use(precomputed))).toEqual(expected);
  });

  it("times out each slow request once, from one sweep, and leaves answered ones alone", async () => {
    const app = express();
    app.use(requestTimeout(100));
    app.get("/slow", () => {
      // never answers
    });
    app.get("/fast", (_req, res) => {
      res.json({ ok: true });
    });
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const answers = await Promise.all(
        ["/slow", "/fast", "/slow", "/fast", "/slow"].map(async (path) => {
          const res = await fetch(`${base}${path}`);
          return [res.status, await res.json()] as const;
        }),
      );
      expect(answers.map(([status]) => status)).toEqual([503, 200, 503, 200, 503]);
      expect(answers[1]?.[1]).toEqual({ ok: true });
      // After the sweep stopped (nothing pending), a new slow request still times out.
      expect((await fetch(`${base}/slow`)).status).toBe(503);
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
