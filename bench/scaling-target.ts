// Helpers of the scaling bench: a credkit server process started from source with an env, and the one
// place that says which HTTP request verifies a credential.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const main = fileURLToPath(new URL("../apps/server/src/main.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** A running server process. */
export interface BenchServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `apps/server/src/main.ts` (from source, as the tests do) with `env`; resolves once it listens. */
export async function startBenchServer(env: Record<string, string>): Promise<BenchServer> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CREDKIT_")));
  const child = spawn(process.execPath, ["--conditions=credkit-source", "--import", tsx, main], {
    env: { ...base, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      const match = /listening on http:\/\/localhost:(\d+)/.exec(output);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** One HTTP request that verifies `headers` as a proxy credential of `clientId`. */
export interface VerifyHttpRequest {
  url: string;
  method: "POST" | "GET";
  headers: Record<string, string>;
  body?: string;
}

/**
 * The verification request the HTTP benches send: today the management route
 * `POST /api/clients/{clientId}/verify`. When the data-plane listener (`/authz/{clientId}` on
 * CREDKIT_AUTHZ_PORT) exists, point this one function at it: the presented headers become the
 * request's own, and the token goes in `X-Credkit-Token`.
 */
export function verifyHttpRequest(
  baseUrl: string,
  token: string,
  clientId: string,
  headers: Record<string, string>,
): VerifyHttpRequest {
  return {
    url: `${baseUrl}/api/clients/${clientId}/verify`,
    method: "POST",
    headers: { authorization: token, "content-type": "application/json" },
    body: JSON.stringify({ headers }),
  };
}
