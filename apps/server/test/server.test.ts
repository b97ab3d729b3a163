import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { killServers, startServer } from "./support/server-process.js";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

afterEach(killServers);

describe("the server process", () => {
  it("serves the API on the embedded default, then stops cleanly on SIGTERM", async () => {
    const token = "test-token-0123456789";
    const secret = "SERVER-SECRET-VALUE-42";
    const { stop, url, output } = await startServer({
      CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const created = await fetch(`${url}/api/clients/acme/credentials`, {
      method: "POST",
      headers: { Authorization: token, "Content-Type": "application/json" },
      body: JSON.stringify({
        credentialName: "upstream",
        credentialType: "target",
        authType: "bearer",
        region: "eu-west-1",
        secret: { token: secret },
      }),
    });
    expect(created.status).toBe(201);
    const list = await fetch(`${url}/api/clients/acme/credentials?includeTemporary=False`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const body = await list.text();
    expect(JSON.parse(body).credentials).toHaveLength(1);
    expect(body).not.toContain(secret);
    expect((await fetch(`${url}/api/openapi.json`)).status).toBe(200);

    expect(await stop()).toBe(0);
    expect(output()).not.toContain(secret);
    expect(output()).toContain("No CREDKIT_MASTER_KEY");
  });

  it("prints a generated token when none is configured, and it works", async () => {
    const { url, output } = await startServer({});
    const token = /generated an admin token[^\n]*\n\s+(\S+)/.exec(output())?.[1];
    expect(token).toBeDefined();
    const res = await fetch(`${url}/api/clients/any/credentials`, {
      headers: { Authorization: token as string },
    });
    expect(res.status).toBe(200);
  });

  it("exits with a clear message on bad configuration", async () => {
    const child = spawn(process.execPath, ["--conditions=credkit-source", "--import", "tsx", main], {
      env: { ...process.env, PORT: "not-a-port" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    const [code] = await once(child, "exit");
    expect(code).toBe(2);
    expect(stderr).toContain("PORT: must be an integer from 0 to 65535");
  });
});
