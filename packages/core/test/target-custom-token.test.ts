import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { admin, target, targetService, testClock } from "@credkit/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let issued = 0;
/** What the token endpoint answers next, by path. */
const answers: Record<string, (n: number) => { status: number; body: string }> = {
  "/nested": (n) => ({ status: 200, body: JSON.stringify({ data: { token: `nested-${n}`, ttl: "120" } }) }),
  "/flat": (n) => ({ status: 200, body: JSON.stringify({ access_token: `flat-${n}` }) }),
  "/down": () => ({ status: 503, body: JSON.stringify({ token: "LEAK-503" }) }),
  "/html": () => ({ status: 200, body: "<html>LEAK-HTML</html>" }),
  "/no-token": () => ({ status: 200, body: JSON.stringify({ data: { other: "LEAK-OTHER" } }) }),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const answer = answers[new URL(req.url ?? "/", "http://x").pathname]?.(++issued) ?? {
        status: 404,
        body: "{}",
      };
      // Held a little, so that concurrent callers overlap.
      setTimeout(
        () => res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body),
        50,
      );
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const customToken = (path: string, extra: Record<string, unknown> = {}) =>
  target("customToken", { tokenUrl: `${base}${path}`, ...extra });

describe("customToken", () => {
  it("sends the configured request, reads tokenPath, and injects headerName: headerPrefix + token", async () => {
    const clock = testClock();
    const { service, clientId } = targetService({ now: clock.now });
    const created = await service.create(
      admin,
      clientId,
      customToken("/nested", {
        headers: { "X-Partner": "p-1" },
        body: { user: "svc", password: "pw-123" },
        tokenPath: "data.token",
        expiresInPath: "data.ttl",
        headerName: "X-Auth",
        headerPrefix: "Token ",
      }),
    );
    const start = seen.length;
    const auth = await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(auth).toEqual({ headers: { "X-Auth": `Token nested-${issued}` }, query: {} });
    const request = seen[start];
    expect(request?.method).toBe("POST");
    expect(request?.headers["x-partner"]).toBe("p-1");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toEqual({ user: "svc", password: "pw-123" });

    // The lifetime came from expiresInPath (a numeric string, 120 s): cached until 30 s before it ends.
    clock.advance(90_000 - 1);
    expect(await service.resolveTargetAuth(admin, clientId, created.credentialId)).toEqual(auth);
    expect(seen.length - start).toBe(1);
    clock.advance(2);
    expect(await service.resolveTargetAuth(admin, clientId, created.credentialId)).not.toEqual(auth);
    expect(seen.length - start).toBe(2);
  });

  it("sends a string body as is, GET without a body, and defaults to access_token and Bearer", async () => {
    const { service, clientId } = targetService();
    const post = await service.create(
      admin,
      clientId,
      customToken("/flat", {
        body: "grant=yes&x=1",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      }),
    );
    const get = await service.create(
      admin,
      clientId,
      customToken("/flat?kind=get", { method: "GET", body: "ignored" }),
    );
    const start = seen.length;
    const posted = await service.resolveTargetAuth(admin, clientId, post.credentialId);
    expect(posted.headers.Authorization).toMatch(/^Bearer flat-\d+$/);
    expect(seen[start]).toMatchObject({ method: "POST", body: "grant=yes&x=1" });
    expect(seen[start]?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    await service.resolveTargetAuth(admin, clientId, get.credentialId);
    expect(seen[start + 1]).toMatchObject({ method: "GET", url: "/flat?kind=get", body: "" });
  });

  it("takes the lifetime from ttlSeconds when there is no expiresInPath, else the default", async () => {
    const clock = testClock();
    const { service, clientId } = targetService({ now: clock.now, tokens: { defaultTokenTtlMs: 60_000 } });
    const withTtl = await service.create(admin, clientId, customToken("/flat", { ttlSeconds: 600 }));
    const withDefault = await service.create(admin, clientId, customToken("/flat"));
    const start = seen.length;
    await service.resolveTargetAuth(admin, clientId, withTtl.credentialId);
    await service.resolveTargetAuth(admin, clientId, withDefault.credentialId);
    clock.advance(60_000 - 30_000 + 1); // past the default's refresh point, well within 600 s
    await service.resolveTargetAuth(admin, clientId, withTtl.credentialId);
    expect(seen.length - start).toBe(2);
    await service.resolveTargetAuth(admin, clientId, withDefault.credentialId);
    expect(seen.length - start).toBe(3);
  });

  it("makes one request for 20 concurrent resolutions", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(admin, clientId, customToken("/flat"));
    const start = seen.length;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => service.resolveTargetAuth(admin, clientId, created.credentialId)),
    );
    expect(seen.length - start).toBe(1);
    expect(new Set(results.map((r) => r.headers.Authorization)).size).toBe(1);
  });

  it.each([
    ["/down", /answered 503/],
    ["/html", /not JSON/],
    ["/no-token", /no usable token at "data.token"/],
  ])("fails %s with an UPSTREAM_ERROR that quotes nothing it received", async (path, message) => {
    const { service, clientId } = targetService();
    const created = await service.create(admin, clientId, customToken(path, { tokenPath: "data.token" }));
    const error = await service
      .resolveTargetAuth(admin, clientId, created.credentialId)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UPSTREAM_ERROR", message: expect.stringMatching(message) });
    expect(`${String(error)} ${JSON.stringify(error)}`).not.toMatch(/LEAK/);
  });
});
