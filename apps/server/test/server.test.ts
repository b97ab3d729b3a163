import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const running: ChildProcess[] = [];

/** Starts the server as `pnpm start` would (from source), on a free port; resolves with its URL and output. */
async function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--conditions=credkit-source", "--import", "tsx", main], {
    env: { ...process.env, PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", () => {
      const match = /listening on (http:\/\/localhost:\d+)/.exec(output);
      if (match) resolve(match[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return { child, url, output: () => output };
}

afterEach(() => {
  for (const child of running.splice(0)) child.kill("SIGKILL");
});

describe("the server process", () => {
  it("serves the API on the embedded default, then stops cleanly on SIGTERM", async () => {
    const token = "test-token-0123456789";
    const secret = "SERVER-SECRET-VALUE-42";
    const { child, url, output } = await startServer({
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

    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
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
    running.push(child);
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    const [code] = await once(child, "exit");
    expect(code).toBe(2);
    expect(stderr).toContain("PORT: must be an integer from 0 to 65535");
  });
});
