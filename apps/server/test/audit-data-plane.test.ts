import { randomBytes } from "node:crypto";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { apiClient } from "./support/api-client.js";

// CREDKIT_AUDIT_DATA_PLANE_RESOLVES through the running server: off (the default), an /authz request
// that resolves a target writes no audit line; on, it writes one naming the target, never its secret.
const admin = "admin-token-0123456789";
const gateway = "gateway-token-0123456789";

/** Asks /authz once for an allowed request with a target, and returns the audit events written. */
async function auditsOfOneResolve(env: Record<string, string>) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const config = loadConfig({
    CREDKIT_USER_TOKENS: JSON.stringify([
      { token: admin, userId: "ops", clientIds: "*" },
      { token: gateway, userId: "gateway", clientIds: ["acme"], scopes: ["authz"] },
    ]),
    CREDKIT_AUTHZ_PORT: "0",
    ...env,
  });
  const credkit = await createApp(config, createLogger("info", sink));
  const server = credkit.app.listen(0, "127.0.0.1");
  try {
    await once(server, "listening");
    const api = apiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, admin);
    const port = await credkit.authz?.listen(0, "127.0.0.1");
    const create = async (body: Record<string, unknown>) => {
      const res = await api("POST", "/api/clients/acme/credentials", {
        credentialName: "c",
        region: "eu-west-1",
        ...body,
      });
      expect(res.status).toBe(201);
      return res.body.credentials[0].credentialId as string;
    };
    const key = `key-${randomBytes(16).toString("hex")}`;
    const token = `target-${randomBytes(16).toString("hex")}`;
    await create({
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: key },
    });
    const target = await create({ credentialType: "target", authType: "bearer", secret: { token } });
    const before = lines.length;
    const res = await fetch(`http://127.0.0.1:${port}/authz/acme/${target}`, {
      headers: { "X-Credkit-Token": gateway, "X-Api-Key": key },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("authorization")).toBe(`Bearer ${token}`);
    const written = lines.slice(before);
    expect(written.join("\n")).not.toContain(token);
    expect(written.join("\n")).not.toContain(key);
    return { target, audits: written.map((l) => JSON.parse(l)).filter((l) => l.audit !== undefined) };
  } finally {
    await credkit.authz?.close();
    server.close();
    await credkit.close();
  }
}

describe("CREDKIT_AUDIT_DATA_PLANE_RESOLVES", () => {
  it("off by default: a resolved /authz target is not audited", async () => {
    const { audits } = await auditsOfOneResolve({});
    expect(audits).toEqual([]);
  });

  it("on: each resolved /authz target is audited with the gateway's user and the target's id", async () => {
    const { target, audits } = await auditsOfOneResolve({ CREDKIT_AUDIT_DATA_PLANE_RESOLVES: "true" });
    expect(audits.map((l) => l.audit)).toEqual([
      expect.objectContaining({
        action: "credential.resolve",
        outcome: "success",
        userId: "gateway",
        clientId: "acme",
        credentialId: target,
      }),
    ]);
  });
});
