// nginx keeps its connections to credkit's authz listener alive only when the allowed answer has no
// body: this pins the answer's shape against the real nginx, with the shipped example config.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { type NginxProcess, renderGateway, startNginx } from "./support/nginx.js";

const token = `gateway-${randomBytes(12).toString("hex")}`;
const key = `key-${randomBytes(12).toString("hex")}`;
const upstream = createServer((_req, res) => res.end("ok"));
let credkit: Awaited<ReturnType<typeof createApp>>;
let nginx: NginxProcess;
let connections = 0;

beforeAll(async () => {
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  credkit = await createApp(
    loadConfig({
      CREDKIT_USER_TOKENS: JSON.stringify([
        { token, userId: "nginx", clientIds: ["acme"], scopes: ["authz"] },
      ]),
      CREDKIT_AUTHZ_PORT: "0",
    }),
    createLogger("silent"),
  );
  await credkit.service.create({ userId: "ops", clientIds: "*", scopes: [] }, "acme", {
    credentialName: "k",
    credentialType: "proxy",
    authType: "apiKey",
    region: "eu-west-1",
    secret: { keyName: "X-Api-Key", keyValue: key },
  });
  const port = await credkit.authz?.listen(0, "127.0.0.1");
  credkit.authz?.server.on("connection", () => connections++);
  nginx = await startNginx((listen) =>
    renderGateway({
      LISTEN: listen,
      CREDKIT_AUTHZ: `127.0.0.1:${port}`,
      UPSTREAM: `127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      CREDKIT_CLIENT_ID: "acme",
      CREDKIT_TARGET_ID: "",
      CREDKIT_AUTHZ_TOKEN: token,
    }),
  );
});
afterAll(async () => {
  await nginx?.stop();
  await credkit?.authz?.close();
  await credkit?.close();
  upstream.closeAllConnections();
  upstream.close();
});

describe("nginx → credkit keep-alive", () => {
  it("reuses one connection for 50 sequential auth subrequests", async () => {
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${nginx.url}/api/x`, { headers: { "X-Api-Key": key } });
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(connections).toBeLessThanOrEqual(2);
  });
});
