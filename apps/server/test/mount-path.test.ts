import { once } from "node:events";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type RequestHandler } from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mountPath } from "../src/http/mount-path.js";

// `mountPath` stands in for `app.use("/api", handler)`: fed the same request targets, the handler and
// the routes after it must see exactly what they see under Express's own mount.

/** Answers what it saw for paths under `/echo`, passes anything else on. */
const echo: RequestHandler = (req, res, next) => {
  if (!req.url.startsWith("/echo")) {
    next();
    return;
  }
  res.json({ handler: { url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl } });
};
/** What the routes after the mount see of a request the handler passed on, or that was not under it. */
const after: RequestHandler = (req, res) => {
  res.json({ after: { url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl } });
};

const targets = [
  "/api/echo",
  "/API/echo",
  "/aPi/echo/x?y=1",
  "/api/echo/",
  "/api//echo",
  "/api",
  "/api/",
  "/api?x=1",
  "/Api/other?x=1",
  "/apix/echo",
  "/ap",
  "/",
  "/api%2Fecho",
  "/echo",
  "http://127.0.0.1/api/echo",
];

function listen(app: express.Express) {
  const server = app.listen(0, "127.0.0.1");
  return {
    server,
    ready: once(server, "listening"),
    port: () => (server.address() as AddressInfo).port,
  };
}

/** GET with the request target as given (no URL normalisation, as `fetch` would do). */
function get(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: target, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("mountPath", () => {
  const byExpress = express();
  byExpress.use("/api", echo);
  byExpress.use(after);
  const ours = express();
  const mounted = mountPath("/api", echo);
  ours.use((req, res, next) => mounted(req, res, next));
  ours.use(after);
  const servers = [listen(byExpress), listen(ours)];

  beforeAll(async () => {
    await Promise.all(servers.map((s) => s.ready));
  });
  afterAll(() => {
    for (const { server } of servers) {
      server.closeAllConnections();
      server.close();
    }
  });

  it.each(targets)("shows %s to the handler and the later routes as Express's mount does", async (target) => {
    const [expected, actual] = await Promise.all(servers.map((s) => get(s.port(), target)));
    expect(actual).toEqual(expected);
  });

  it("serves the path in any case, with the base as the request spelled it", async () => {
    const port = (servers[1] as (typeof servers)[number]).port();
    expect(JSON.parse((await get(port, "/aPi/echo?q=1")).body)).toEqual({
      handler: { url: "/echo?q=1", baseUrl: "/aPi", originalUrl: "/aPi/echo?q=1" },
    });
    // Passed on by the handler: the later route sees the request as it came.
    expect(JSON.parse((await get(port, "/API/other")).body)).toEqual({
      after: { url: "/API/other", baseUrl: "", originalUrl: "/API/other" },
    });
    // Not at a segment boundary: not under the mount.
    expect(JSON.parse((await get(port, "/apiecho")).body)).toEqual({
      after: { url: "/apiecho", baseUrl: "", originalUrl: "/apiecho" },
    });
  });
});
