// An existing Express 5 app adopting credkit: its own express.json(), its own routes before and after
// the mount under the same prefix, its own 404; credkit's router, health routes and audit hook.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createCredentialService, createKeyring, generateMasterKey } from "@credkit/core";
import { createCredkitRouter, createHealthRouter, errorHandler, tokenAuthenticator } from "@credkit/express";
import { memoryStore } from "@credkit/storage-memory";
import express from "express";

const master = generateMasterKey();
const service = createCredentialService({
  regions: { "eu-west-1": memoryStore() },
  keyring: createKeyring({
    activeKeyId: master.id,
    keys: [{ id: master.id, key: Buffer.from(master.key, "base64") }],
  }),
});
const token = randomBytes(24).toString("base64url");
const refusals = [];

const app = express();
app.use(express.json({ limit: "5mb" }));
app.get("/api/status", (_req, res) => res.json({ from: "host", route: "before" }));
app.use(
  "/api",
  createCredkitRouter({
    service,
    authenticate: tokenAuthenticator([{ token, userId: "ops", clientIds: ["acme"] }]),
    bodyLimit: "10kb",
    audit: { record: (event) => refusals.push(event) },
  }),
);
app.use("/api", errorHandler());
app.get("/api/version", (_req, res) => res.json({ from: "host", route: "after" }));
app.post("/api/echo", (req, res) => res.json({ from: "host", body: req.body }));
app.use(createHealthRouter(service));
app.use((_req, res) => res.status(404).json({ from: "host", route: "404" }));

const server = app.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const call = async (method, path, body, headers = {}) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
};

try {
  assert.deepEqual(await call("GET", "/api/status"), {
    status: 200,
    body: { from: "host", route: "before" },
  });
  assert.deepEqual(await call("GET", "/api/version"), {
    status: 200,
    body: { from: "host", route: "after" },
  });
  assert.deepEqual(await call("POST", "/api/echo", { a: 1 }), {
    status: 200,
    body: { from: "host", body: { a: 1 } },
  });
  assert.deepEqual(await call("GET", "/api/nothing-here"), {
    status: 404,
    body: { from: "host", route: "404" },
  });

  const secret = `SECRET-${randomBytes(8).toString("hex")}`;
  const create = {
    credentialName: "partner",
    credentialType: "proxy",
    authType: "apiKey",
    region: "eu-west-1",
    secret: { keyName: "X-Api-Key", keyValue: secret },
  };
  const created = await call("POST", "/api/clients/acme/credentials", create, { Authorization: token });
  assert.equal(created.status, 201);
  assert.ok(!JSON.stringify(created.body).includes(secret));
  const tooBig = await call(
    "POST",
    "/api/clients/acme/credentials",
    { ...create, credentialName: "x".repeat(20_000) },
    { Authorization: token },
  );
  assert.deepEqual([tooBig.status, tooBig.body.code], [413, "PAYLOAD_TOO_LARGE"]);
  const badJson = await call("POST", "/api/clients/acme/credentials", '{"credentialName":', {
    Authorization: token,
  });
  assert.deepEqual([badJson.status, badJson.body.code], [400, "VALIDATION_ERROR"]);
  const forbidden = await call("GET", "/api/clients/other/credentials", undefined, { Authorization: token });
  assert.equal(forbidden.status, 403);
  assert.equal((await call("GET", "/api/clients/acme/credentials")).status, 401);
  assert.deepEqual(
    refusals.map((e) => [e.action, e.code, e.clientId]),
    [
      ["authorization.failed", "FORBIDDEN", "other"],
      ["authorization.failed", "UNAUTHORIZED", "acme"],
    ],
  );
  assert.deepEqual(await call("GET", "/healthz"), { status: 200, body: { status: "ok" } });
  assert.equal((await call("GET", "/readyz")).status, 200);
  console.log("express app: host routes before/after the mount, 413, 400, 401/403 audited, health: ok");
} finally {
  server.close();
}
