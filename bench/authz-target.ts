// A child process for `bench/authz.ts`, so the load generator never shares a process with it:
//   credkit  <token> <key>  the credkit server's authz listener (memory store, one apiKey credential)
//   credkit-unthrottled <token> <key>  the same with the per-caller throttle off (its cost, side by side)
//   bare     <token> <key>  a bare node:http auth server giving the same verdict: the token compared
//                           in constant time, the key by HMAC-SHA256 + Map
//   upstream                a bare node:http upstream answering 200
// Each sends `{ port }` to its parent once listening.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "@credkit/server/app";
import { loadConfig } from "@credkit/server/config";
import { createLogger } from "@credkit/server/logger";
import pino from "pino";

const [kind, token = "", key = ""] = process.argv.slice(2);
const clientId = "bench-client";

async function credkit(throttled: boolean): Promise<number> {
  const config = loadConfig({
    CREDKIT_USER_TOKENS: JSON.stringify([
      { token, userId: "gateway", clientIds: [clientId], scopes: ["authz"] },
    ]),
    CREDKIT_AUTHZ_PORT: "0",
    ...(throttled ? {} : { CREDKIT_AUTHZ_FAILURE_LIMIT_PER_MINUTE: "0" }),
  });
  const app = await createApp(
    config,
    createLogger("info", pino.destination({ dest: "/dev/null", sync: false })),
  );
  await app.service.create({ userId: "bench", clientIds: "*", scopes: [] }, clientId, {
    credentialName: "bench",
    credentialType: "proxy",
    authType: "apiKey",
    region: "us-east-1",
    secret: { keyName: "X-Api-Key", keyValue: key },
  });
  if (!app.authz) throw new Error("no authz listener");
  return app.authz.listen(0, "127.0.0.1");
}

/**
 * The verdict at its barest: the proxy token compared in constant time with the one it knows (as
 * credkit recognises its gateway's last token: hashing it on every request would be work credkit does
 * not do), and the API key found by a keyed hash in a Map.
 */
async function bare(): Promise<number> {
  const hmacKey = randomBytes(32);
  const hash = (value: string) => createHmac("sha256", hmacKey).update(value).digest("base64url");
  const known = Buffer.from(token);
  const presented = Buffer.alloc(known.length);
  const isToken = (value: string) =>
    Buffer.byteLength(value) === known.length &&
    presented.write(value) === known.length &&
    timingSafeEqual(presented, known);
  const keys = new Map([[hash(`x-api-key\n${key}`), { credentialId: "bench-credential" }]]);
  const server = createServer((req, res) => {
    const proxy = req.headers["x-credkit-token"];
    const apiKey = req.headers["x-api-key"];
    const allowed = typeof proxy === "string" && isToken(proxy);
    const found = allowed && typeof apiKey === "string" ? keys.get(hash(`x-api-key\n${apiKey}`)) : undefined;
    if (!found) {
      const body = '{"allowed":false,"reason":"NO_CREDENTIAL"}';
      res.writeHead(401, {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "Content-Length": String(body.length),
      });
      res.end(body);
      return;
    }
    // The same answer as credkit's: the verdict in headers, no body (which keeps nginx's connection alive).
    res.writeHead(200, {
      "X-Credkit-Credential-Id": found.credentialId,
      "Cache-Control": "no-store",
      "Content-Length": "0",
    });
    res.end();
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

async function upstream(): Promise<number> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end("ok");
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

const kinds = {
  credkit: () => credkit(true),
  "credkit-unthrottled": () => credkit(false),
  bare,
  upstream,
};
const start = kinds[kind as keyof typeof kinds];
if (!start) throw new Error(`unknown kind ${kind}`);
process.send?.({ port: await start() });
// Exit with the bench that forked it.
process.on("disconnect", () => process.exit(0));
