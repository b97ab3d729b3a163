import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Actor, createCredentialService, createKeyring } from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { afterEach, describe, expect, it } from "vitest";
import { createCredkitHandler, tokenAuthenticator } from "../src/index.js";
import { tokens } from "./app.js";

// The handler writes every header of an answer in one `writeHead` (json-response.ts). These pin what
// that must keep: the exact headers on the wire, and whatever the host set before calling it.

const admin: Actor = { userId: "admin", clientIds: "*" };
const closing: (() => void)[] = [];
afterEach(() => {
  for (const close of closing.splice(0)) close();
});

/** A node:http server whose listener may set headers of its own before handing over to the handler. */
async function serve(before: (req: IncomingMessage, res: ServerResponse) => void = () => {}) {
  const service = createCredentialService({
    regions: { "eu-west-1": memoryStore() },
    keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
  });
  const handle = createCredkitHandler({
    service,
    authenticate: tokenAuthenticator([{ token: tokens.admin, userId: "admin", clientIds: "*" }]),
    prefix: "/api",
  });
  const server = createServer((req, res) => {
    before(req, res);
    handle(req, res);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  closing.push(() => server.close());
  const created = await service.create(admin, "acme", {
    credentialName: "upstream",
    credentialType: "target",
    authType: "bearer",
    region: "eu-west-1",
    secret: { token: "upstream-token-0123456789" },
  });
  return { port: (server.address() as AddressInfo).port, id: created.credentialId };
}

/** GETs `path`, answering the status, the raw header lines (names as sent) and the body. */
async function get(port: number, path: string, headers: Record<string, string> = {}) {
  const req = request({ host: "127.0.0.1", port, path, headers, agent: false });
  req.end();
  const [res] = (await once(req, "response")) as [IncomingMessage];
  let body = "";
  for await (const chunk of res) body += chunk;
  const names = res.rawHeaders.filter((_, i) => i % 2 === 0);
  return { status: res.statusCode, names, headers: res.headers, body };
}

describe("the headers of the handler's answers on bare node:http", () => {
  it("answers a GET with exactly its own headers, the length matching the body", async () => {
    const { port, id } = await serve();
    const got = await get(port, `/api/clients/acme/credentials/${id}`, { Authorization: tokens.admin });
    expect(got.status).toBe(200);
    expect(got.names).toEqual([
      "Cache-Control",
      "ETag",
      "Content-Type",
      "Content-Length",
      "Date",
      "Connection",
    ]);
    expect(got.headers).toMatchObject({
      "cache-control": "no-store",
      etag: '"1"',
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(got.body)),
    });
    expect(JSON.parse(got.body).credentials[0].credentialId).toBe(id);
  });

  it("keeps the headers the host set first, its Cache-Control overridden as setHeader would", async () => {
    const { port, id } = await serve((_req, res) => {
      res.setHeader("X-Host", "kept");
      res.setHeader("cache-control", "public, max-age=600");
    });
    for (const [path, status] of [
      [`/api/clients/acme/credentials/${id}`, 200],
      ["/api/clients/acme/credentials/eu-west-1.AAAAAAAAAAAAAAAAAAAAAA", 404],
    ] as const) {
      const got = await get(port, path, { Authorization: tokens.admin });
      expect(got.status).toBe(status);
      expect(got.headers["x-host"]).toBe("kept");
      expect(got.headers["cache-control"]).toBe("no-store");
      expect(got.names.filter((name) => name.toLowerCase() === "cache-control")).toHaveLength(1);
      expect(got.headers["content-length"]).toBe(String(Buffer.byteLength(got.body)));
    }
  });
});
