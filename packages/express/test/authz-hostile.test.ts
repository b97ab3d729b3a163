import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { createCredentialService, createKeyring } from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthzHandler } from "../src/index.js";

// The /authz listener's hot path tried as an attacker would: a single-use credential raced by 40
// requests at once, the gateway token or the end client's Authorization sent twice.
const GATEWAY = `gateway-${randomBytes(12).toString("hex")}`;
const ADMIN = { userId: "admin", clientIds: "*" as const, scopes: ["resolve" as const] };
const service = createCredentialService({
  regions: { "eu-west-1": memoryStore() },
  keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
  defaultRegion: "eu-west-1",
  nearCache: { ttlMs: 60_000 },
});
const clientId = `acme-${randomUUID()}`;
const bearer = `bearer-${randomBytes(16).toString("hex")}`;
const failures: string[] = [];
let server: Server;
let port: number;

beforeAll(async () => {
  await service.create(ADMIN, clientId, {
    credentialName: "b",
    credentialType: "proxy",
    authType: "bearer",
    secret: { token: bearer },
  });
  server = createServer(
    createAuthzHandler({
      service,
      tokens: [{ token: GATEWAY, userId: "gw", clientIds: [clientId], scopes: ["authz"] }],
      // Always idle: the listener must still count each failure with the caller's address.
      throttle: { idle: () => true, retryAfter: () => 0, failed: (caller) => void failures.push(caller) },
    }),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** One request written as raw bytes, so a header can be sent twice; the status it got. */
async function raw(headerLines: string[]): Promise<number> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  socket.end(
    [`GET /authz/${clientId} HTTP/1.1`, "Host: gw", "Connection: close", ...headerLines, "", ""].join("\r\n"),
  );
  let text = "";
  for await (const chunk of socket) text += String(chunk);
  return Number(text.slice(9, 12));
}

describe("the /authz listener under attack", () => {
  it("lets a single-use credential through exactly once among 40 concurrent requests", async () => {
    const key = `once-${randomBytes(16).toString("hex")}`;
    await service.create(ADMIN, clientId, {
      credentialName: "once",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: key },
      singleUse: true,
    });
    failures.length = 0;
    const statuses = await Promise.all(
      Array.from({ length: 40 }, () =>
        fetch(`http://127.0.0.1:${port}/authz/${clientId}`, {
          headers: { "X-Credkit-Token": GATEWAY, "X-Api-Key": key },
        }).then((res) => res.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(39);
    // Each refusal was counted against the caller, although the throttle was idle throughout.
    expect(failures).toEqual(Array(39).fill("127.0.0.1"));
  });

  it("refuses a gateway token sent twice, and counts it", async () => {
    failures.length = 0;
    expect(await raw([`X-Credkit-Token: ${GATEWAY}`, `Authorization: Bearer ${bearer}`])).toBe(200);
    expect(
      await raw([
        `X-Credkit-Token: ${GATEWAY}`,
        `X-Credkit-Token: ${GATEWAY}`,
        `Authorization: Bearer ${bearer}`,
      ]),
    ).toBe(401);
    expect(failures).toEqual(["127.0.0.1"]);
  });

  it("refuses an end client's Authorization sent twice: which one the backend reads is anyone's guess", async () => {
    for (const lines of [
      [`Authorization: Bearer ${bearer}`, "Authorization: Bearer forged"],
      ["Authorization: Bearer forged", `Authorization: Bearer ${bearer}`],
      [`Authorization: Bearer ${bearer}`, `authorization: Bearer ${bearer}`],
    ])
      expect([lines, await raw([`X-Credkit-Token: ${GATEWAY}`, ...lines])]).toEqual([lines, 401]);
  });
});
