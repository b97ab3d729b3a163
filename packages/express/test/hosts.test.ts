import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createCredentialService, createKeyring } from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { afterEach, describe, expect, it } from "vitest";
import { fastifyApp } from "../examples/fastify.js";
import { type CredkitHandlerOptions, tokenAuthenticator } from "../src/index.js";
import { contract, type Host, hostServer, syncHosts, tokens } from "./app.js";

const SECRET = `SECRET-${randomUUID()}`;

/** The fields of the answers these tests read. */
interface Answer {
  credentials: { credentialId: string; credentialName: string }[];
  servers?: { url: string }[];
}
const read = async (res: Response) => (await res.json()) as Answer;

/** Starts the example app of a host on a free loopback port. */
async function start(host: Host | "fastify", options: CredkitHandlerOptions) {
  let server: Server;
  let close: () => Promise<unknown>;
  if (host === "fastify") {
    const app = fastifyApp(options);
    server = app.server;
    server.prependListener("request", (req, res) => contract.middleware(req, res, () => {}));
    await app.listen({ port: 0, host: "127.0.0.1" });
    close = () => app.close();
  } else {
    server = hostServer(host, options);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    close = () => new Promise((resolve) => server.close(resolve));
  }
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close };
}

const running: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of running.splice(0)) await close();
});

describe.each([...syncHosts, "fastify"] as const)("the API served by the %s example", (host) => {
  async function api() {
    const service = createCredentialService({
      regions: { "eu-west-1": memoryStore() },
      keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
    });
    const { url, close } = await start(host, {
      service,
      authenticate: tokenAuthenticator([{ token: tokens.admin, userId: "admin", clientIds: "*" }]),
      bodyLimit: "2kb",
    });
    running.push(close);
    return (path: string, init: RequestInit & { token?: string | null } = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: {
          ...(init.token === null ? {} : { Authorization: init.token ?? tokens.admin }),
          ...(init.body !== undefined ? { "Content-Type": "application/json" } : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
      });
  }
  const create = JSON.stringify({
    credentialName: "partner",
    credentialType: "proxy",
    authType: "apiKey",
    region: "eu-west-1",
    secret: { keyName: "X-Api-Key", keyValue: SECRET },
  });

  it("creates, reads, lists, updates with If-Match, deletes; never echoes the secret", async () => {
    const call = await api();
    const created = await call("/api/clients/acme/credentials", { method: "POST", body: create });
    const createdText = await created.text();
    expect(created.status, createdText).toBe(201);
    expect(createdText).not.toContain(SECRET);
    const id = JSON.parse(createdText).credentials[0].credentialId as string;
    expect(created.headers.get("etag")).toBe('"1"');
    expect(created.headers.get("cache-control")).toBe("no-store");

    const one = await call(`/api/clients/acme/credentials/${id}`);
    expect(one.status).toBe(200);
    expect((await read(one)).credentials[0]).toMatchObject({ credentialId: id, credentialName: "partner" });
    const list = await call("/api/clients/acme/credentials?includeTemporary=False");
    expect((await read(list)).credentials).toHaveLength(1);

    const stale = await call(`/api/clients/acme/credentials/${id}`, {
      method: "PUT",
      body: JSON.stringify({ credentialName: "renamed" }),
      headers: { "If-Match": '"7"' },
    });
    expect(stale.status).toBe(412);
    const updated = await call(`/api/clients/acme/credentials/${id}`, {
      method: "PUT",
      body: JSON.stringify({ credentialName: "renamed" }),
      headers: { "If-Match": '"1"' },
    });
    expect(updated.status).toBe(200);
    expect(updated.headers.get("etag")).toBe('"2"');

    expect((await call(`/api/clients/acme/credentials/${id}`, { method: "DELETE" })).status).toBe(200);
    expect((await call(`/api/clients/acme/credentials/${id}`)).status).toBe(404);
  });

  it("replays an Idempotency-Key create and refuses the key with another body", async () => {
    const call = await api();
    const key = { "Idempotency-Key": randomUUID() };
    const first = await call("/api/clients/acme/credentials", { method: "POST", body: create, headers: key });
    const again = await call("/api/clients/acme/credentials", { method: "POST", body: create, headers: key });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await read(again)).credentials[0]?.credentialId).toBe(
      (await read(first)).credentials[0]?.credentialId,
    );
    const other = create.replace("partner", "other");
    expect(
      (await call("/api/clients/acme/credentials", { method: "POST", body: other, headers: key })).status,
    ).toBe(409);
  });

  it("answers 401, 413, 415 and 400 naming the field, as JSON with a code", async () => {
    const call = await api();
    const anonymous = await call("/api/clients/acme/credentials", { token: null });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: "UNAUTHORIZED" });

    const big = JSON.stringify({ credentialName: "x".repeat(4000) });
    const tooLarge = await call("/api/clients/acme/credentials", { method: "POST", body: big });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });

    const text = await call("/api/clients/acme/credentials", {
      method: "POST",
      body: "credentialName=x",
      headers: { "Content-Type": "text/plain" },
    });
    expect(text.status).toBe(415);

    const broken = await call("/api/clients/acme/credentials", { method: "POST", body: "{" });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ errors: [{ path: "body" }] });

    const nameless = await call("/api/clients/acme/credentials", {
      method: "POST",
      body: JSON.stringify({ credentialType: "target", authType: "none" }),
    });
    expect(nameless.status).toBe(400);
    expect(JSON.stringify(await nameless.json())).toContain("credentialName");
  });

  it("serves the OpenAPI document and the docs page without a token, and 404s unknown API paths", async () => {
    const call = await api();
    const doc = await call("/api/openapi.json", { token: null });
    expect(doc.status).toBe(200);
    expect((await read(doc)).servers?.[0]?.url ?? "/api").toContain("/api");
    const page = await call("/api/docs", { token: null });
    expect(page.headers.get("content-type")).toContain("text/html");
    expect((await call("/api/no/such/route")).status).toBe(404);
  });
});
