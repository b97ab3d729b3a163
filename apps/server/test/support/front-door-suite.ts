// The same end-to-end checks for every front door credkit ships an example for (nginx, Caddy,
// HAProxy): one credkit process, one upstream echo server, the proxy run from the shipped example.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./api-client.js";
import type { FrontDoor, FrontDoorVars } from "./front-doors.js";
import { type ServerProcess, startServer, waitFor } from "./server-process.js";

const admin = "admin-token-0123456789";

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

/** credkit's default per-caller limit (`CREDKIT_AUTHZ_FAILURE_LIMIT_PER_MINUTE`), which the suite runs with. */
const FAILURE_LIMIT = 60;

/** How long a front door may take to refuse once credkit stops answering (each example waits 1 s). */
const FROZEN_ANSWER_BOUND_MS = 5_000;

/**
 * Registers the shared front-door suite: `start` runs the proxy (from its shipped example) in front of
 * a credkit process whose gateway token has scope `authz`, injecting a static bearer target.
 */
export function frontDoorSuite(
  name: string,
  start: (vars: FrontDoorVars) => Promise<FrontDoor>,
  /** The proxy applies `X-Credkit-Target-Query` (nginx, HAProxy; Caddy cannot). */
  options: { targetQuery: boolean },
): void {
  const gatewayToken = `gateway-${randomBytes(12).toString("hex")}`;
  const callerKey = `caller-key-${randomBytes(12).toString("hex")}`;
  const targetBearer = `target-bearer-${randomBytes(12).toString("hex")}`;
  const seen: Seen[] = [];
  let upstream: Server;
  let credkit: ServerProcess;
  let door: FrontDoor;
  let api: ReturnType<typeof apiClient>;
  let callerId: string;
  let startDoor: (targetId: string) => Promise<FrontDoor>;

  async function create(body: Record<string, unknown>): Promise<string> {
    const res = await api("POST", "/api/clients/acme/credentials", {
      credentialName: "c",
      region: "eu-west-1",
      ...body,
    });
    expect(res.status).toBe(201);
    return res.body.credentials[0].credentialId;
  }
  const apiKeyProxy = (keyValue: string, extra: Record<string, unknown> = {}) =>
    create({
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue },
      ...extra,
    });

  const through = (headers: Record<string, string>, path = "/api/items?page=2") =>
    fetch(`${door.url}${path}`, { headers, signal: AbortSignal.timeout(15_000) });

  /** GET through the proxy from a given loopback source address (each its own caller to the proxy). */
  const from = (localAddress: string, headers: Record<string, string>) =>
    new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
      const url = new URL(`${door.url}/api/items`);
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, localAddress, headers, timeout: 15_000 },
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
      req.on("timeout", () => req.destroy(new Error(`no answer from ${name} for ${localAddress}`)));
      req.on("error", reject);
      req.end();
    });

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      seen.push({ url: req.url ?? "", headers: req.headers });
      res.end("ok");
    });
    upstream.listen(0, "127.0.0.1");
    await once(upstream, "listening");
    credkit = await startServer({
      CREDKIT_USER_TOKENS: JSON.stringify([
        { token: admin, userId: "ops", clientIds: "*" },
        { token: gatewayToken, userId: name, clientIds: ["acme"], scopes: ["authz"] },
      ]),
      CREDKIT_AUTHZ_PORT: "0",
      // The proxy is on loopback; callers come from their own 127.0.0.x (the throttle case below). The
      // per-caller throttle keeps its default limit (60 failures a minute per address).
      CREDKIT_TRUSTED_PROXIES: "loopback",
    });
    await waitFor(async () => /authz listening/.test(credkit.output()), 15_000, "the authz listener");
    const authz = (/authz listening on http:\/\/([\d.]+:\d+)/.exec(credkit.output()) as RegExpExecArray)[1];
    api = apiClient(credkit.url, admin);
    callerId = await apiKeyProxy(callerKey);
    const targetId = await create({
      credentialType: "target",
      authType: "bearer",
      secret: { token: targetBearer },
    });
    startDoor = (target: string) =>
      start({
        authz: authz as string,
        upstream: `127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        upstreamHost: "api.test",
        clientId: "acme",
        targetId: target,
        token: gatewayToken,
      });
    door = await startDoor(targetId);
  });

  afterAll(async () => {
    if (credkit?.child.pid) credkit.child.kill("SIGCONT");
    await door?.stop();
    await credkit?.stop();
    upstream?.closeAllConnections();
    upstream?.close();
  });

  describe(`${name} → credkit → upstream (the shipped example)`, () => {
    it("forwards a valid key with the target credential, never the caller's key, the gateway token or a spoofed X-Credkit-*", async () => {
      const before = seen.length;
      const res = await through({
        "X-Api-Key": callerKey,
        "X-Credkit-Credential-Id": "someone-else",
        "X-Credkit-Degraded": "true",
        "X-Credkit-Target-Query": "api_key=CALLER-CHOSEN",
        "X-Credkit-Token": gatewayToken,
      });
      expect(res.status).toBe(200);
      expect(seen.length).toBe(before + 1);
      const request = seen.at(-1) as Seen;
      expect(request.url).toBe("/api/items?page=2");
      expect(request.headers.authorization).toBe(`Bearer ${targetBearer}`);
      expect(request.headers.host).toBe("api.test");
      expect(request.headers["x-credkit-credential-id"]).toBe(callerId);
      expect(request.headers["x-api-key"]).toBeUndefined();
      const credkitHeaders = Object.keys(request.headers).filter((h) => h.startsWith("x-credkit-"));
      expect(credkitHeaders).toEqual(["x-credkit-credential-id"]);
      const text = JSON.stringify(request);
      for (const secret of [callerKey, gatewayToken, "CALLER-CHOSEN", "{http."])
        expect(text).not.toContain(secret);
    });

    if (options.targetQuery)
      it("injects a custom target's header and query: the target's parameters win over a caller's", async () => {
        const targetKey = `target-key-${randomBytes(12).toString("hex")}`;
        const targetQuery = `target-query-${randomBytes(12).toString("hex")}`;
        const custom = await create({
          credentialType: "target",
          authType: "custom",
          secret: { headers: { "X-Api-Key": targetKey }, query: { api_key: targetQuery } },
        });
        const customDoor = await startDoor(custom);
        try {
          for (const [path, url] of [
            ["/api/q?page=2", `/api/q?api_key=${targetQuery}&page=2`],
            ["/api/q", `/api/q?api_key=${targetQuery}`],
            ["/api/q?api_key=CALLER-CHOSEN&page=2", `/api/q?api_key=${targetQuery}`],
            ["/api/q?page=2&API_KEY=CALLER-CHOSEN", `/api/q?api_key=${targetQuery}`],
            ["/api/q?api%5Fkey=CALLER-CHOSEN", `/api/q?api_key=${targetQuery}`],
            ["/api/q?page=2;api_key=CALLER-CHOSEN", `/api/q?api_key=${targetQuery}`],
          ] as const) {
            const before = seen.length;
            const res = await fetch(`${customDoor.url}${path}`, {
              headers: { "X-Api-Key": callerKey },
              signal: AbortSignal.timeout(15_000),
            });
            expect(res.status, path).toBe(200);
            expect(seen.length).toBe(before + 1);
            const request = seen.at(-1) as Seen;
            expect(request.url, path).toBe(url);
            expect(request.headers["x-api-key"]).toBe(targetKey);
            expect(request.headers.authorization).toBeUndefined();
            expect(Object.keys(request.headers).filter((h) => h.startsWith("x-credkit-"))).toEqual([
              "x-credkit-credential-id",
            ]);
            expect(JSON.stringify(request)).not.toContain(callerKey);
          }
        } finally {
          await customDoor.stop();
        }
      });

    it("refuses a bad key with 401 and credkit's challenge, without reaching the upstream", async () => {
      const before = seen.length;
      const refused: Record<string, string>[] = [
        { "X-Api-Key": "wrong-key-0123456789abcdef" },
        {},
        // The caller cannot pose as the gateway.
        { "X-Credkit-Token": gatewayToken },
      ];
      for (const headers of refused) {
        const res = await through(headers);
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="credkit"/);
        await res.arrayBuffer();
      }
      expect(seen.length).toBe(before);
    });

    it("refuses a deleted key", async () => {
      const key = `deleted-${randomBytes(12).toString("hex")}`;
      const id = await apiKeyProxy(key);
      expect((await through({ "X-Api-Key": key })).status).toBe(200);
      expect((await api("DELETE", `/api/clients/acme/credentials/${id}`)).status).toBe(200);
      const before = seen.length;
      expect((await through({ "X-Api-Key": key })).status).toBe(401);
      expect(seen.length).toBe(before);
    });

    it("lets a single-use key through exactly once of 20 concurrent requests", async () => {
      const key = `single-${randomBytes(12).toString("hex")}`;
      await apiKeyProxy(key, { singleUse: true });
      const before = seen.length;
      const statuses = await Promise.all(
        Array.from({ length: 20 }, () => through({ "X-Api-Key": key }).then((r) => r.status)),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 401)).toHaveLength(19);
      expect(seen.length).toBe(before + 1);
    });

    it("fails closed with 503/504 within its timeout when credkit is frozen (SIGSTOP)", async () => {
      const pid = credkit.child.pid as number;
      const before = seen.length;
      process.kill(pid, "SIGSTOP");
      try {
        const started = Date.now();
        const res = await through({ "X-Api-Key": callerKey });
        const elapsed = Date.now() - started;
        await res.arrayBuffer();
        expect([503, 504]).toContain(res.status);
        expect(elapsed).toBeLessThan(FROZEN_ANSWER_BOUND_MS);
        console.log(`${name}: frozen credkit → ${res.status} after ${elapsed} ms`);
      } finally {
        process.kill(pid, "SIGCONT");
      }
      expect(seen.length).toBe(before);
      // Thawed, it answers again.
      await waitFor(
        async () => (await through({ "X-Api-Key": callerKey })).status === 200,
        10_000,
        "credkit back",
      );
    });

    it("throttles a guessing address (429 + Retry-After through the proxy), not a valid caller from another; a forged X-Forwarded-For changes nothing", async () => {
      const before = seen.length;
      // Each guess forges another X-Forwarded-For / X-Real-IP: a proxy that passed or appended them
      // would have credkit count each guess for another address, and the 429 would never come.
      const guess = (i: number) =>
        from("127.0.0.2", {
          "X-Api-Key": `guess-${randomBytes(12).toString("hex")}`,
          "X-Forwarded-For": `203.0.113.${i % 250}`,
          "X-Real-IP": `198.51.100.${i % 250}`,
        });
      const statuses: number[] = [];
      for (let i = 0; i < FAILURE_LIMIT; i++) statuses.push((await guess(i)).status);
      expect(statuses).toEqual(Array(FAILURE_LIMIT).fill(401));
      const throttled = await guess(FAILURE_LIMIT);
      expect(throttled.status).toBe(429);
      expect(Number(throttled.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(throttled.retryAfter)).toBeLessThanOrEqual(60);
      // Not even the right key passes from the throttled address, whatever address it claims.
      const claimed = await from("127.0.0.2", { "X-Api-Key": callerKey, "X-Forwarded-For": "127.0.0.3" });
      expect(claimed.status).toBe(429);
      expect(seen.length).toBe(before);
      // A valid caller from another address is not starved, even when it claims the throttled one.
      const valid = await from("127.0.0.3", {
        "X-Api-Key": callerKey,
        "X-Forwarded-For": "127.0.0.2",
        "X-Real-IP": "127.0.0.2",
      });
      expect(valid.status).toBe(200);
      expect(seen.length).toBe(before + 1);
      expect((seen.at(-1) as Seen).headers.authorization).toBe(`Bearer ${targetBearer}`);
    });

    it("never leaks a secret into the proxy's output", async () => {
      const output = await door.output();
      for (const secret of [callerKey, targetBearer, gatewayToken]) expect(output).not.toContain(secret);
    });
  });
}
